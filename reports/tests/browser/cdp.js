// A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (no npm packages).
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-extensions', '--disable-default-apps', '--no-default-browser-check',
  '--disable-dev-shm-usage', '--hide-scrollbars', '--mute-audio',
  // Nothing in a report may reach the network; make any attempt fail fast.
  '--host-resolver-rules=MAP * ~NOTFOUND',
  '--remote-debugging-pipe',
];

function findChromium() {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  throw new Error('chromium not found (install Debian\'s chromium: scripts/setup.sh --browser, or set CHROMIUM)');
}

// Launches Chromium with a fresh profile; resolves to a Browser whose send() speaks CDP.
async function launch() {
  const exe = findChromium();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-chromium-'));
  // fd 3: our commands to the browser; fd 4: its replies and events (NUL-separated JSON).
  const child = spawn(exe, [...CHROMIUM_ARGS, `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const browser = new Browser(child, profile, () => stderr);
  await new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await browser.send('Browser.getVersion');
  return browser;
}

class Browser {
  constructor(child, profile, stderr) {
    this.child = child;
    this.profile = profile;
    this.stderr = stderr;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    this.exited = false;
    let buf = '';
    child.stdio[4].on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let end;
      while ((end = buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(buf.slice(0, end));
        buf = buf.slice(end + 1);
        this.dispatch(msg);
      }
    });
    child.on('exit', (code, sig) => {
      this.exited = true;
      for (const { reject } of this.pending.values()) {
        reject(new Error(`chromium exited (${code ?? sig}); stderr tail:\n${this.stderr()}`));
      }
      this.pending.clear();
    });
  }

  dispatch(msg) {
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const { resolve, reject, method } = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
      else resolve(msg.result);
      return;
    }
    for (const l of this.listeners) l(msg);
  }

  send(method, params = {}, sessionId = undefined) {
    if (this.exited) return Promise.reject(new Error('chromium is not running'));
    const id = this.nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.child.stdio[3].write(JSON.stringify(msg) + '\0');
    });
  }

  on(fn) { this.listeners.push(fn); }

  // Opens a page and records everything a test asserts about: console errors, exceptions,
  // log errors (CSP violations land there), dialogs and network requests.
  async newPage(width = 1400, height = 1000) {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId);
    this.on((msg) => { if (msg.sessionId === sessionId) page.event(msg); });
    for (const domain of ['Runtime', 'Page', 'Log', 'Network']) await page.send(`${domain}.enable`);
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  async close() {
    const exited = new Promise((r) => (this.exited ? r() : this.child.once('exit', r)));
    this.send('Browser.close').catch(() => {});
    // The timer is cleared once the browser is gone: a pending one kept node alive 5 s more.
    let timer;
    await Promise.race([exited, new Promise((r) => { timer = setTimeout(r, 5000); })]);
    clearTimeout(timer);
    if (!this.exited) {
      this.child.kill('SIGKILL');
      await exited;
    }
    // Helper processes may still be flushing into the profile for a moment.
    try {
      fs.rmSync(this.profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (e) {
      console.error(`note: could not remove ${this.profile}: ${e.message}`);
    }
  }
}

class Page {
  constructor(browser, sessionId) {
    this.browser = browser;
    this.sessionId = sessionId;
    this.errors = [];
    this.dialogs = [];
    this.requests = [];
    this.waiters = [];
  }

  send(method, params = {}) { return this.browser.send(method, params, this.sessionId); }

  event(msg) {
    const p = msg.params || {};
    switch (msg.method) {
      case 'Runtime.consoleAPICalled':
        if (p.type === 'error' || p.type === 'assert') {
          this.errors.push('console.' + p.type + ': ' + p.args.map((a) => a.value ?? a.description).join(' '));
        }
        break;
      case 'Runtime.exceptionThrown':
        this.errors.push('exception: ' + (p.exceptionDetails.exception?.description || p.exceptionDetails.text));
        break;
      case 'Log.entryAdded':
        if (p.entry.level === 'error') this.errors.push(`log.${p.entry.source}: ${p.entry.text}`);
        break;
      case 'Page.javascriptDialogOpening':
        this.dialogs.push(`${p.type}: ${p.message}`);
        this.send('Page.handleJavaScriptDialog', { accept: true }).catch(() => {});
        break;
      case 'Network.requestWillBeSent':
        this.requests.push(p.request.url);
        break;
      default:
        break;
    }
    this.waiters = this.waiters.filter((w) => !(w.method === msg.method && (w.resolve(p), true)));
  }

  waitFor(method, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${method}`)), timeoutMs);
      this.waiters.push({ method, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  async eval(expression) {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`eval failed: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
    return r.result.value;
  }

  // Navigates and waits until the report's script says it has drawn everything.
  async open(url, timeoutMs = 30000, waitReady = true) {
    const loaded = this.waitFor('Page.loadEventFired', timeoutMs);
    const started = process.hrtime.bigint();
    const nav = await this.send('Page.navigate', { url });
    if (nav.errorText) throw new Error(`navigate ${url}: ${nav.errorText}`);
    await loaded;
    if (!waitReady) return Number(process.hrtime.bigint() - started) / 1e6;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await this.eval('document.documentElement.getAttribute("data-ready")');
      if (ready === '1') break;
      if (Date.now() > deadline) throw new Error(`${url}: the report never signalled data-ready`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return Number(process.hrtime.bigint() - started) / 1e6;
  }

  async screenshot(file) {
    const m = await this.send('Page.getLayoutMetrics');
    const size = m.cssContentSize || m.contentSize;
    const clip = { x: 0, y: 0, width: Math.ceil(size.width), height: Math.min(12000, Math.ceil(size.height)), scale: 1 };
    const shot = await this.send('Page.captureScreenshot', { format: 'png', clip, captureBeyondViewport: true });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(shot.data, 'base64'));
    return fs.statSync(file).size;
  }
}

module.exports = { launch };
