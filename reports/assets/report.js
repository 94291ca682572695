// Draws report.html's charts from the embedded JSON; untrusted text only ever goes in via textContent.
(function () {
  'use strict';
  var t0 = performance.now();
  var NS = 'http://www.w3.org/2000/svg';
  var data = JSON.parse(document.getElementById('gl-data').textContent);
  var report = data.report;
  var tl = data.timeline;
  var nodes = tl.nodes || [];
  var N = nodes.length;

  // Member states as the history codes them (0 = not yet in this node's view).
  var STATE = ['not in view', 'alive', 'suspect', 'dead', 'left'];
  // Severity decides what a lane shows when several members or nodes share a pixel.
  var SEV_OF_STATE = [2, 1, 4, 5, 3];
  var STATE_OF_SEV = [-1, 1, 0, 4, 2, 3];
  var COLOR = ['#d6d6d6', '#66bb6a', '#ffa726', '#e53935', '#5c6bc0'];
  var FAULT_COLOR = {
    partition: '#8e24aa', pause: '#fbc02d', kill: '#c62828', starve: '#6d4c41',
    shape: '#1e88e5', leave: '#3949ab', restart: '#ef6c00', node_error: '#000000'
  };
  var MAX_LANES = 60;
  var MAX_RUMORS = 200;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function svg(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v) {
    if (typeof v !== 'number' || !isFinite(v)) return v === null || v === undefined ? '—' : String(v);
    return String(Math.round(v * 1000) / 1000);
  }
  function niceStep(range, target) {
    var raw = range / Math.max(1, target);
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }
  function short(s, n) {
    s = String(s);
    return s.length > n ? s.slice(0, n - 1) + '…' : s;
  }

  var tip = document.getElementById('tooltip');
  function showTip(ev, lines) {
    tip.textContent = lines.join('\n');
    tip.hidden = false;
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + 360 > window.innerWidth) x = Math.max(0, ev.clientX - 370);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  function hideTip() { tip.hidden = true; }

  function legend(host, items) {
    var d = el('div', null, 'legend');
    items.forEach(function (it) {
      var sw = el('span', null, 'sw');
      sw.style.background = it[1];
      if (it[2]) sw.style.opacity = it[2];
      d.appendChild(sw);
      d.appendChild(document.createTextNode(it[0]));
    });
    host.appendChild(d);
  }

  function axis(g, x0, width, y, T, height) {
    var step = niceStep(T, Math.max(2, Math.floor(width / 90)));
    for (var t = 0; t <= T + 1e-9; t += step) {
      var x = x0 + (t / T) * width;
      svg('line', { x1: x, x2: x, y1: y, y2: y + height, stroke: '#eee' }, g);
      var lab = svg('text', { x: x, y: y + height + 12, 'text-anchor': 'middle' }, g);
      lab.textContent = fmt(t) + ' s';
    }
  }

  // Nodes named in the evidence of failing checks: kept as their own lanes when downsampling.
  function evidenceNodes() {
    var idx = {};
    nodes.forEach(function (n, i) { idx[n] = i; });
    var out = [];
    (report.checks || []).forEach(function (c) {
      if (c.verdict === 'pass') return;
      (c.evidence || []).forEach(function (e) {
        if (typeof e.node === 'string' && e.node in idx && out.indexOf(idx[e.node]) < 0) out.push(idx[e.node]);
      });
    });
    return out;
  }

  // ---------------------------------------------------------------- membership timeline
  var timeline = null;

  function drawTimeline() {
    var host = document.getElementById('timeline');
    var controls = document.getElementById('timeline-controls');
    var noteEl = document.getElementById('timeline-note');
    var m = tl.m || [];
    if (!N) {
      host.textContent = 'No node appears in history.jsonl.';
      return;
    }
    var T = tl.t_end > 0 ? tl.t_end : 1;
    var subjects = tl.subjects || [];
    var sel = el('select');
    sel.id = 'subject-select';
    function option(value, text) {
      var o = el('option', text);
      o.value = value;
      sel.appendChild(o);
    }
    if (subjects.length > 1 && subjects.length <= 6) {
      option('split', 'each faulted node, one stripe per lane (top to bottom: ' + short(subjects.map(function (i) { return nodes[i]; }).join(', '), 80) + ')');
    }
    if (subjects.length) {
      option('subjects', 'view of the faulted nodes (' + short(subjects.map(function (i) { return nodes[i]; }).join(', '), 80) + ') — worst');
    }
    option('all', 'view of all members — worst');
    subjects.slice(0, 100).forEach(function (i) { option('s' + i, 'view of ' + short(nodes[i], 60)); });
    controls.appendChild(document.createTextNode('Each lane is one node; colour = its view of: '));
    controls.appendChild(sel);
    legend(controls, [['alive', COLOR[1]], ['suspect', COLOR[2]], ['dead', COLOR[3]], ['left', COLOR[4]],
      ['not yet in view', COLOR[0]], ['node not running', '#000', 0.45], ['node paused', '#fbc02d', 0.6],
      ['partition', FAULT_COLOR.partition, 0.3], ['pause', FAULT_COLOR.pause, 0.4], ['kill', FAULT_COLOR.kill, 0.3],
      ['link shape', FAULT_COLOR.shape, 0.3], ['starve', FAULT_COLOR.starve, 0.3], ['rumor injected ▼', '#1565c0']]);

    // Events per observer, for hover details.
    var byObs = [];
    for (var i = 0; i < N; i++) byObs.push([]);
    for (var k = 0; k < m.length; k++) byObs[m[k][1]].push(k);

    // Lanes: every node when few; otherwise pinned nodes alone and the rest in groups.
    var lanes = [];
    var note = [];
    if (N <= MAX_LANES) {
      for (i = 0; i < N; i++) lanes.push({ members: [i], label: nodes[i] });
    } else {
      var pinned = subjects.concat(evidenceNodes().filter(function (x) { return subjects.indexOf(x) < 0; })).slice(0, 20);
      var rest = [];
      for (i = 0; i < N; i++) if (pinned.indexOf(i) < 0) rest.push(i);
      pinned.forEach(function (p) { lanes.push({ members: [p], label: nodes[p] }); });
      var groups = MAX_LANES - pinned.length;
      var size = Math.ceil(rest.length / groups);
      for (var g = 0; g < rest.length; g += size) {
        var mem = rest.slice(g, g + size);
        lanes.push({ members: mem, label: mem.length === 1 ? nodes[mem[0]] : short(nodes[mem[0]], 8) + '…' + short(nodes[mem[mem.length - 1]], 8) + ' (' + mem.length + ')' });
      }
      note.push(N + ' nodes: downsampled to ' + lanes.length + ' lanes — ' + pinned.length +
        ' faulted or evidence nodes on their own lanes, the other ' + rest.length + ' in groups of up to ' + size +
        ' (a group lane shows the worst view among its nodes; hover for details).');
    }

    var width = Math.max(700, Math.min(1400, (host.clientWidth || 1000)));
    var left = 150, right = 12, top = 30;
    var PW = width - left - right;
    var laneH = lanes.length <= 30 ? (subjects.length > 1 && subjects.length <= 6 ? Math.max(14, 5 * subjects.length + 3) : 14) : 9;
    var height = top + lanes.length * laneH + 20;
    var sec = PW / T;
    if (m.length > PW * 2) note.push(m.length + ' membership events drawn at ' + fmt(T / PW) + ' s per pixel: each pixel shows the worst state in it.');
    noteEl.textContent = note.join(' ');

    var root = svg('svg', { width: width, height: height, id: 'timeline-svg', role: 'img' }, host);
    var gAxis = svg('g', {}, root);
    axis(gAxis, left, PW, top, T, lanes.length * laneH);
    var gLanes = svg('g', { id: 'timeline-lanes' }, root);
    var gDown = svg('g', {}, root);
    var gFault = svg('g', { id: 'timeline-faults' }, root);
    var gMark = svg('g', {}, root);
    var gEv = svg('g', {}, root);

    lanes.forEach(function (lane, li) {
      var lab = svg('text', { x: left - 6, y: top + li * laneH + laneH - 3, 'text-anchor': 'end' }, root);
      lab.textContent = short(lane.label, 24);
    });

    // Faults shaded across every lane; instants drawn as lines.
    var laneIndexOf = {};
    lanes.forEach(function (lane, li) { if (lane.members.length === 1) laneIndexOf[lane.members[0]] = li; });
    (tl.faults || []).forEach(function (f) {
      var x0 = left + f.t0 * sec, x1 = left + f.t1 * sec;
      var color = FAULT_COLOR[f.kind] || '#555';
      if (f.t1 - f.t0 <= 0) {
        svg('line', { x1: x0, x2: x0, y1: top - 6, y2: top + lanes.length * laneH, stroke: color, 'stroke-width': 1.5, 'stroke-dasharray': '3 2' }, gFault);
      } else {
        svg('rect', { x: x0, y: top, width: Math.max(2, x1 - x0), height: lanes.length * laneH, fill: color, 'fill-opacity': f.kind === 'pause' ? 0.22 : 0.13 }, gFault);
        svg('rect', { x: x0, y: top - 8, width: Math.max(2, x1 - x0), height: 5, fill: color }, gFault);
      }
      (f.nodes || []).forEach(function (n) {
        if (n in laneIndexOf && (f.kind !== 'partition')) {
          svg('rect', { x: x0, y: top + laneIndexOf[n] * laneH, width: Math.max(2, x1 - x0), height: laneH - 2, fill: 'none', stroke: color, 'stroke-width': 1 }, gFault);
        }
      });
    });
    (tl.broadcasts || []).forEach(function (b) {
      var x = left + b.t * sec;
      svg('path', { d: 'M' + (x - 4) + ' ' + (top - 18) + 'L' + (x + 4) + ' ' + (top - 18) + 'L' + x + ' ' + (top - 10) + 'Z', fill: '#1565c0' }, gMark);
    });

    // One pass over the membership events: for each observer, the worst state among the
    // members in inS, per pixel column (the worst within a column wins).
    function rasterize(inS) {
      var sizeS = 0;
      for (var q = 0; q < N; q++) sizeS += inS[q];
      var cur = new Uint8Array(N * N);
      var counts = [];
      var lastT = new Float64Array(N), lastSev = new Uint8Array(N);
      var cols = [];
      function worst(c) {
        var w = 0;
        for (var s = 0; s < 5; s++) if (c[s] > 0 && SEV_OF_STATE[s] > w) w = SEV_OF_STATE[s];
        return w;
      }
      function paint(o, ta, tb, sev) {
        if (tb <= ta || sev === 0) return;
        var col = cols[o];
        var xa = Math.max(0, Math.floor(ta * sec)), xb = Math.min(PW, Math.max(xa + 1, Math.ceil(tb * sec)));
        for (var x = xa; x < xb; x++) if (col[x] < sev) col[x] = sev;
      }
      for (var o = 0; o < N; o++) {
        var c = new Int32Array(5);
        c[0] = sizeS - inS[o];
        counts.push(c);
        cols.push(new Uint8Array(PW));
        lastSev[o] = worst(c);
      }
      for (var k = 0; k < m.length; k++) {
        var ev = m[k], ob = ev[1], mb = ev[2], st = ev[3];
        if (!inS[mb] || mb === ob) continue;
        var prev = cur[ob * N + mb];
        if (prev === st) continue;
        cur[ob * N + mb] = st;
        counts[ob][prev]--;
        counts[ob][st]++;
        var w = worst(counts[ob]);
        if (w !== lastSev[ob]) {
          paint(ob, lastT[ob], ev[0], lastSev[ob]);
          lastT[ob] = ev[0];
          lastSev[ob] = w;
        }
      }
      for (o = 0; o < N; o++) paint(o, lastT[o], T, lastSev[o]);
      return cols;
    }

    function setOf(list) {
      var inS = new Uint8Array(N);
      list.forEach(function (s) { inS[s] = 1; });
      return inS;
    }

    function render(choice) {
      while (gLanes.firstChild) gLanes.removeChild(gLanes.firstChild);
      while (gDown.firstChild) gDown.removeChild(gDown.firstChild);
      // Stripes: each lane is split into one stripe per subject, or shows one set's worst.
      var stripes;
      if (choice === 'split') stripes = subjects.map(function (s) { return { inS: setOf([s]), label: nodes[s] }; });
      else if (choice === 'all') stripes = [{ inS: new Uint8Array(N).fill(1), label: 'all members' }];
      else if (choice === 'subjects') stripes = [{ inS: setOf(subjects), label: 'faulted nodes' }];
      else stripes = [{ inS: setOf([+choice.slice(1)]), label: nodes[+choice.slice(1)] }];
      var sh = (laneH - 2) / stripes.length;
      stripes.forEach(function (stripe, si) {
        var cols = rasterize(stripe.inS);
        lanes.forEach(function (lane, li) {
          var col = lane.members.length === 1 ? cols[lane.members[0]] : new Uint8Array(PW);
          if (lane.members.length > 1) {
            lane.members.forEach(function (mm) {
              var cm = cols[mm];
              for (var x = 0; x < PW; x++) if (cm[x] > col[x]) col[x] = cm[x];
            });
          }
          var y = top + li * laneH + si * sh;
          var start = 0;
          for (var x = 1; x <= PW; x++) {
            if (x === PW || col[x] !== col[start]) {
              if (col[start] > 0) {
                svg('rect', { x: left + start, y: y.toFixed(2), width: x - start, height: Math.max(1, sh - (stripes.length > 1 ? 0.5 : 0)).toFixed(2), fill: COLOR[STATE_OF_SEV[col[start]]] }, gLanes);
              }
              start = x;
            }
          }
        });
      });
      // Nodes not running (dark) or paused (yellow), on their own lanes.
      (tl.down || []).forEach(function (d) {
        if (!(d[0] in laneIndexOf)) return;
        var x0 = left + d[1] * sec, x1 = left + d[2] * sec;
        svg('rect', { x: x0, y: top + laneIndexOf[d[0]] * laneH + (d[3] ? 0 : 3), width: Math.max(1, x1 - x0), height: d[3] ? laneH - 2 : laneH - 8, fill: d[3] ? '#fbc02d' : '#000', 'fill-opacity': d[3] ? 0.6 : 0.45 }, gDown);
      });
      var union = new Uint8Array(N);
      stripes.forEach(function (st) { for (var q = 0; q < N; q++) union[q] |= st.inS[q]; });
      timeline.inS = union;
      timeline.stripes = stripes;
    }

    // What a node saw of the chosen members at time t (for the tooltip).
    function viewAt(o, t, inS) {
      var states = {};
      var list = byObs[o];
      for (var q = 0; q < list.length; q++) {
        var ev = m[list[q]];
        if (ev[0] > t) break;
        if (inS[ev[2]] && ev[2] !== o) states[ev[2]] = ev[3];
      }
      var tally = [0, 0, 0, 0, 0], odd = [];
      for (var s = 0; s < N; s++) {
        if (!inS[s] || s === o) continue;
        var st = states[s] || 0;
        tally[st]++;
        if (st !== 1 && odd.length < 6) odd.push(short(nodes[s], 30) + ' ' + STATE[st]);
      }
      return { tally: tally, odd: odd };
    }

    root.addEventListener('mousemove', function (ev) {
      var r = root.getBoundingClientRect();
      var x = ev.clientX - r.left, y = ev.clientY - r.top;
      var t = (x - left) / sec;
      if (t < 0 || t > T) { hideTip(); return; }
      var lines = ['t = ' + fmt(t) + ' s'];
      var li = Math.floor((y - top) / laneH);
      if (li >= 0 && li < lanes.length) {
        var lane = lanes[li];
        var stripes = timeline.stripes;
        var si = Math.floor(((y - top - li * laneH) / Math.max(1, laneH - 2)) * stripes.length);
        if (stripes.length > 1 && si >= 0 && si < stripes.length) lines.push('stripe: view of ' + stripes[si].label);
        if (lane.members.length === 1) {
          var v = viewAt(lane.members[0], t, timeline.inS);
          var parts = [];
          for (var s = 0; s < 5; s++) if (v.tally[s]) parts.push(v.tally[s] + ' ' + STATE[s]);
          lines.push(nodes[lane.members[0]] + ' sees: ' + (parts.join(', ') || 'nothing (itself only)'));
          if (v.odd.length) lines.push('  ' + v.odd.join('; '));
          (tl.down || []).forEach(function (d) {
            if (d[0] === lane.members[0] && t >= d[1] && t <= d[2]) lines.push(d[3] ? 'node paused' : 'node not running');
          });
        } else {
          var tot = [0, 0, 0, 0, 0];
          lane.members.forEach(function (mm) {
            var vv = viewAt(mm, t, timeline.inS);
            for (var s2 = 0; s2 < 5; s2++) tot[s2] += vv.tally[s2];
          });
          var p2 = [];
          for (var s3 = 0; s3 < 5; s3++) if (tot[s3]) p2.push(tot[s3] + ' ' + STATE[s3]);
          lines.push(lane.members.length + ' nodes (' + short(lane.label, 40) + ') see in total: ' + p2.join(', '));
        }
      }
      (tl.faults || []).forEach(function (f) {
        if (t >= f.t0 - 2 / sec && t <= f.t1 + 2 / sec) lines.push('fault ' + fmt(f.t0) + '–' + fmt(f.t1) + ' s: ' + f.label);
      });
      (tl.broadcasts || []).forEach(function (b) {
        if (Math.abs(b.t - t) * sec <= 5) lines.push('rumor ' + b.rumor + ' from ' + (nodes[b.node] === undefined ? '?' : nodes[b.node]) + ' at ' + fmt(b.t) + ' s: ' + short(b.payload, 120));
      });
      showTip(ev, lines);
    });
    root.addEventListener('mouseleave', hideTip);

    timeline = { render: render, inS: null, stripes: [], mark: function (t, node) {
      while (gEv.firstChild) gEv.removeChild(gEv.firstChild);
      var x = left + Math.max(0, Math.min(T, t)) * sec;
      svg('line', { x1: x, x2: x, y1: top - 20, y2: top + lanes.length * laneH, stroke: '#d50000', 'stroke-width': 2, 'stroke-dasharray': '5 3', id: 'evidence-marker' }, gEv);
      var idx = nodes.indexOf(node);
      lanes.forEach(function (lane, li) {
        if (idx >= 0 && lane.members.indexOf(idx) >= 0) {
          svg('rect', { x: left - 2, y: top + li * laneH - 1, width: PW + 4, height: laneH, fill: 'none', stroke: '#d50000', 'stroke-width': 1.5 }, gEv);
        }
      });
    } };
    sel.addEventListener('change', function () { render(sel.value); });
    render(sel.value);
  }

  // ---------------------------------------------------------------- dissemination chart
  function drawDissemination() {
    var host = document.getElementById('dissemination');
    var noteEl = document.getElementById('dissemination-note');
    var rumors = tl.rumors || [];
    if (!rumors.length) {
      host.textContent = 'No rumor was broadcast in this run.';
      return;
    }
    var shown = rumors.slice(0, MAX_RUMORS);
    var notes = [];
    if (rumors.length > shown.length) notes.push('Showing the first ' + shown.length + ' of ' + rumors.length + ' rumors.');
    var X = 0;
    shown.forEach(function (r) { if (r.d.length && r.d[r.d.length - 1] > X) X = r.d[r.d.length - 1]; });
    // The dissemination check's bound, drawn as a deadline every curve should beat.
    var bound = null;
    (report.checks || []).forEach(function (c) {
      if (bound === null && c.metrics && Array.isArray(c.metrics.rumors) && c.bound && typeof c.bound.value === 'number') bound = c.bound.value;
    });
    if (bound !== null && bound > X) X = bound;
    if (!(X > 0)) X = 1;
    X *= 1.05;
    var prof = (report.implementation || {}).profile;
    var fanout = prof && typeof prof === 'object' ? prof.fanout : null;
    var gi = prof && typeof prof === 'object' ? prof.gossip_interval : null;
    var liveAvg = shown.reduce(function (a, r) { return a + r.live; }, 0) / shown.length;
    var beta = typeof fanout === 'number' && typeof gi === 'number' && gi > 0 ? fanout / gi : null;
    function model(t) { return 1 / (1 + (liveAvg - 1) * Math.exp(-beta * t)); }
    if (beta) {
      notes.push('Model (dashed): logistic epidemic i(t) = 1 / (1 + (N−1)·e^(−βt)), N = ' + fmt(liveAvg) +
        ' live nodes, β = fanout / gossip_interval = ' + fmt(fanout) + ' / ' + fmt(gi) + ' s = ' + fmt(beta) + ' /s.');
    } else {
      notes.push('No epidemic model curve: the timing profile lacks fanout or gossip_interval.');
    }
    notes.push('x: seconds since the broadcast command; y: fraction of the nodes live at that time that delivered the rumor.');
    noteEl.textContent = notes.join(' ');

    var width = Math.max(600, Math.min(1000, host.clientWidth || 900));
    var left = 50, right = 16, top = 10, bottom = 30;
    var PW = width - left - right, PH = 260;
    var root = svg('svg', { width: width, height: top + PH + bottom, id: 'dissemination-svg', role: 'img' }, host);
    var g = svg('g', {}, root);
    axis(g, left, PW, top, X, PH);
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
      var y = top + PH - f * PH;
      svg('line', { x1: left, x2: left + PW, y1: y, y2: y, stroke: '#eee' }, g);
      var lab = svg('text', { x: left - 4, y: y + 4, 'text-anchor': 'end' }, g);
      lab.textContent = Math.round(f * 100) + '%';
    });
    function px(t) { return left + (t / X) * PW; }
    function py(f) { return top + PH - Math.min(1, f) * PH; }
    var palette = ['#1e88e5', '#43a047', '#fb8c00', '#8e24aa', '#00897b', '#e53935', '#3949ab', '#6d4c41'];
    var lines = [];
    shown.forEach(function (r, ri) {
      var pts = [];
      var prev = 0;
      for (var k = 0; k < r.d.length; k++) {
        var f = (k + 1) / Math.max(1, r.live);
        pts.push(px(r.d[k]).toFixed(1) + ',' + py(prev).toFixed(1));
        pts.push(px(r.d[k]).toFixed(1) + ',' + py(f).toFixed(1));
        prev = f;
      }
      pts.push(px(X).toFixed(1) + ',' + py(prev).toFixed(1));
      lines.push(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: palette[ri % palette.length], 'stroke-width': 1.5, 'stroke-opacity': shown.length > 20 ? 0.5 : 0.9, class: 'rumor-line' }, g));
    });
    if (beta) {
      var mp = [];
      for (var s = 0; s <= 200; s++) { var tt = (s / 200) * X; mp.push(px(tt).toFixed(1) + ',' + py(model(tt)).toFixed(1)); }
      svg('polyline', { points: mp.join(' '), fill: 'none', stroke: '#000', 'stroke-width': 2, 'stroke-dasharray': '6 4', id: 'model-curve' }, g);
    }
    if (bound !== null) {
      svg('line', { x1: px(bound), x2: px(bound), y1: top, y2: top + PH, stroke: '#c62828', 'stroke-width': 1.5, 'stroke-dasharray': '4 3', id: 'bound-line' }, g);
      notes.push('Red dashed line: the dissemination check\'s bound, ' + fmt(bound) + ' s.');
      noteEl.textContent = notes.join(' ');
    }
    var items = shown.slice(0, 10).map(function (r, ri) { return [short(r.rumor, 30), palette[ri % palette.length]]; });
    if (shown.length > 10) items.push(['… ' + (shown.length - 10) + ' more', '#999']);
    if (beta) items.push(['model', '#000']);
    if (bound !== null) items.push(['bound', '#c62828']);
    legend(host, items);

    function fracAt(r, t) {
      var lo = 0, hi = r.d.length;
      while (lo < hi) { var mid = (lo + hi) >> 1; if (r.d[mid] <= t) lo = mid + 1; else hi = mid; }
      return lo;
    }
    var hot = null;
    root.addEventListener('mousemove', function (ev) {
      var rc = root.getBoundingClientRect();
      var x = ev.clientX - rc.left, y = ev.clientY - rc.top;
      var t = ((x - left) / PW) * X;
      if (t < 0 || t > X) { hideTip(); return; }
      var best = -1, bestD = Infinity;
      shown.forEach(function (r, ri) {
        var d = Math.abs(py(fracAt(r, t) / Math.max(1, r.live)) - y);
        if (d < bestD) { bestD = d; best = ri; }
      });
      if (hot) hot.setAttribute('stroke-width', 1.5);
      hot = lines[best];
      hot.setAttribute('stroke-width', 3.5);
      var r = shown[best];
      var n = fracAt(r, t);
      var out = ['rumor ' + r.rumor + (r.origin >= 0 ? ' from ' + nodes[r.origin] : '') + ', broadcast at ' + fmt(r.t0) + ' s',
        '+' + fmt(t) + ' s: ' + n + ' / ' + r.live + ' nodes informed (' + Math.round((100 * n) / Math.max(1, r.live)) + '%)',
        'all ' + r.d.length + ' deliveries by +' + fmt(r.d[r.d.length - 1]) + ' s'];
      if (beta) out.push('model: ' + Math.round(model(t) * 100) + '%');
      showTip(ev, out);
    });
    root.addEventListener('mouseleave', function () { hideTip(); if (hot) hot.setAttribute('stroke-width', 1.5); });
  }

  // ---------------------------------------------------------------- measurements
  // Metrics are checker-specific: scalars as key/value rows, arrays of records as tables
  // with bars on their time-like column (red past the check's bound).
  var TIME_KEY = /(^t$|time|_s$|latency|delay|duration|convergence|detection|heal|lag)/i;

  function humanize(k) { return String(k).replace(/_/g, ' '); }

  function barCell(td, v, max, bound) {
    if (typeof v !== 'number' || !(max > 0)) { td.textContent = fmt(v); return; }
    var b = el('span', null, 'bar' + (typeof bound === 'number' && v > bound ? ' over' : ''));
    b.style.width = Math.max(1, Math.round((v / max) * 160)) + 'px';
    b.title = fmt(v) + (typeof bound === 'number' ? ' (bound ' + fmt(bound) + ')' : '');
    td.appendChild(b);
    td.appendChild(document.createTextNode(fmt(v)));
  }

  // The column compared with the bound, by the names the checkers use (checkers/src).
  var MAIN_KEYS = ['all_detected', 'convergence', 'p100', 'heal', 'first_detection', 'latency_s', 'convergence_s', 'detection_s', 'heal_s'];
  var TITLES = {
    failures: 'Detection time per failure', changes: 'Convergence time per membership change',
    rumors: 'Dissemination per rumor', episodes: 'Suspicion episodes'
  };

  function cellText(v) {
    var out;
    if (Array.isArray(v) && v.every(function (x) { return x === null || typeof x !== 'object'; })) {
      out = v.map(fmt).join(', ');
    } else if (v && typeof v === 'object' && !Array.isArray(v) &&
      Object.keys(v).every(function (k) { return v[k] === null || typeof v[k] !== 'object'; })) {
      out = Object.keys(v).map(function (k) { return k + ': ' + fmt(v[k]); }).join(', ');
    } else if (typeof v === 'object' && v !== null) {
      out = JSON.stringify(v);
    } else {
      return fmt(v);
    }
    return out.length > 200 ? out.slice(0, 199) + '…' : out;
  }

  // Columns a reader looks at first, after the measured one.
  var FIRST_COLS = ['bound', 'status', 'node', 'kind', 'cause', 'rumor', 'origin', 't'];

  function recordTable(host, rows, bound) {
    var cols = [];
    rows.slice(0, 200).forEach(function (r) {
      Object.keys(r).forEach(function (k) { if (cols.indexOf(k) < 0 && cols.length < 14) cols.push(k); });
    });
    var numeric = function (k) { return rows.some(function (r) { return typeof r[k] === 'number'; }); };
    var main = MAIN_KEYS.filter(function (k) { return cols.indexOf(k) >= 0 && numeric(k); })[0] ||
      cols.filter(function (k) { return k !== 't' && TIME_KEY.test(k) && numeric(k); })[0];
    var lead = (main ? [main] : []).concat(FIRST_COLS.filter(function (k) { return k !== main && cols.indexOf(k) >= 0; }));
    cols = lead.concat(cols.filter(function (k) { return lead.indexOf(k) < 0; }));
    var max = 0;
    if (main) rows.forEach(function (r) {
      if (typeof r[main] === 'number' && r[main] > max) max = r[main];
      if (typeof r.bound === 'number' && r.bound > max) max = r.bound;
    });
    if (typeof bound === 'number' && bound > max) max = bound;
    var table = el('table', null, 'grid metric-table');
    var tr = el('tr');
    cols.forEach(function (k) { tr.appendChild(el('th', humanize(k) + (k === main ? ' (s)' : ''))); });
    table.appendChild(el('thead')).appendChild(tr);
    var tb = el('tbody');
    var limit = Math.min(rows.length, 500);
    for (var i = 0; i < limit; i++) {
      var row = el('tr');
      var rec = rows[i];
      cols.forEach(function (k) {
        var td = el('td');
        var v = rec[k];
        if (k === main) {
          barCell(td, v, max, typeof rec.bound === 'number' ? rec.bound : bound);
        } else if (k === 't' && typeof v === 'number') {
          // Times link into the timeline, like evidence rows.
          var a = el('a', fmt(v));
          a.href = '#timeline-section';
          var who = typeof rec.node === 'string' ? rec.node : typeof rec.origin === 'string' ? rec.origin : '';
          a.addEventListener('click', function () { if (timeline) timeline.mark(v, who); });
          td.appendChild(a);
        } else {
          td.textContent = cellText(v);
        }
        row.appendChild(td);
      });
      tb.appendChild(row);
    }
    table.appendChild(tb);
    host.appendChild(table);
    if (rows.length > limit) host.appendChild(el('p', (rows.length - limit) + ' more rows in report.json', 'note'));
  }

  function drawMetrics() {
    var host = document.getElementById('metrics');
    var order = { fail: 0, unknown: 1, pass: 2 };
    var checks = (report.checks || []).slice().sort(function (a, b) { return (order[a.verdict] || 0) - (order[b.verdict] || 0); });
    var any = false;
    checks.forEach(function (c) {
      var mx = c.metrics || {};
      var keys = Object.keys(mx);
      if (!keys.length) return;
      any = true;
      var sec = el('div', null, 'metric-check');
      sec.appendChild(el('h3', c.check + ' (' + c.verdict + ')'));
      var bound = c.bound && typeof c.bound.value === 'number' ? c.bound.value : null;
      var kv = el('table', null, 'kv');
      var later = [];
      keys.forEach(function (k) {
        var v = mx[k];
        var isRecords = Array.isArray(v) && v.length && v.every(function (x) { return x && typeof x === 'object' && !Array.isArray(x); });
        var isNums = Array.isArray(v) && v.length && v.every(function (x) { return typeof x === 'number'; });
        var isNumMap = v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length &&
          Object.keys(v).every(function (x) { return typeof v[x] === 'number'; });
        if (isRecords || isNums || isNumMap) { later.push([k, v, isRecords, isNums]); return; }
        var tr = el('tr');
        tr.appendChild(el('th', humanize(k)));
        tr.appendChild(el('td', cellText(v)));
        kv.appendChild(tr);
      });
      if (kv.firstChild) sec.appendChild(kv);
      later.forEach(function (it) {
        var k = it[0], v = it[1];
        var title = TITLES[k] || humanize(k);
        if (k === 'changes' && /heal/.test(c.check)) title = 'Heal time per partition heal';
        sec.appendChild(el('h4', title));
        if (it[2]) { recordTable(sec, v, bound); return; }
        var rows = it[3] ? v.map(function (x, i) { return { '#': i, value: x }; })
          : Object.keys(v).map(function (x) { return { key: x, value: v[x] }; });
        var b = TIME_KEY.test(k) ? bound : null;
        var max = 0;
        rows.forEach(function (r) { if (r.value > max) max = r.value; });
        if (typeof b === 'number' && b > max) max = b;
        var table = el('table', null, 'grid metric-table');
        rows.slice(0, 500).forEach(function (r) {
          var tr = el('tr');
          tr.appendChild(el('th', r.key !== undefined ? r.key : r['#']));
          var td = el('td');
          barCell(td, r.value, max, b);
          tr.appendChild(td);
          table.appendChild(tr);
        });
        sec.appendChild(table);
      });
      host.appendChild(sec);
    });
    if (!any) host.textContent = 'The checks reported no measurements.';
  }

  function wireEvidence() {
    var links = document.querySelectorAll('a.evlink');
    for (var i = 0; i < links.length; i++) {
      links[i].addEventListener('click', function (ev) {
        var a = ev.currentTarget;
        if (timeline) timeline.mark(parseFloat(a.getAttribute('data-t')), a.getAttribute('data-node'));
      });
    }
  }

  function guarded(name, f) {
    try {
      f();
    } catch (e) {
      console.error('report: ' + name + ' failed: ' + (e && e.stack ? e.stack : e));
    }
  }
  guarded('timeline', drawTimeline);
  guarded('dissemination', drawDissemination);
  guarded('measurements', drawMetrics);
  guarded('evidence links', wireEvidence);
  var ms = performance.now() - t0;
  window.glReport = { ready: true, renderMs: ms, readyAt: performance.now(), nodes: N, events: tl.events, lines: tl.lines };
  document.documentElement.setAttribute('data-ready', '1');
})();
