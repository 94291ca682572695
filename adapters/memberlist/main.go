// memberlist-node runs one unmodified hashicorp/memberlist node and speaks gossiplab's node contract.
//
// Events come from three places, merged through one emitter so that every (state,
// incarnation) transition is printed once and in order:
//   - the EventDelegate (join, leave/dead, update): exact times;
//   - a 10 ms read-only poll of memberlist's private node table (suspect states and
//     alive->alive incarnation bumps, which no delegate reports);
//   - its log lines ("Refuting a suspect/dead message") for refutations.
//
// The table is private, so it is read through reflection, with its layout checked at
// start against memberlist 0.2.2 (Debian's golang-github-hashicorp-memberlist-dev): a
// different layout is an error event and exit 3, never a silent misreading.
// The program adds no reconnect logic: it joins its seeds (with retries) at start only.
//
// Application state (node contract v2) is memberlist's node metadata: a node's own entries are
// its NodeMeta (a JSON object key -> value), a write is UpdateNode (memberlist raises the
// node's incarnation and gossips an alive message carrying the new meta; push-pull carries it
// too), and NotifyJoin/NotifyUpdate, which memberlist calls under its node lock when an
// owner's meta changes (the node's own included), are diffed against what was printed, key by
// key. Why metadata and not a Delegate's LocalState/MergeRemoteState: those are exchanged only
// in push-pull (every 15 or 30 s), and their versions and merge rule would be this program's,
// so the suite would test our code; metadata is memberlist's own state dissemination, ordered
// by memberlist's incarnation and spread by its gossip and anti-entropy, and it is what Serf's
// tags are built on. What it cannot do is said in impl.json: the whole map of an owner is
// replaced under one incarnation (no per-key versions: a receiver that missed an update prints
// the incarnation it learned the key at, so `version` is that incarnation, not an order the
// nodes share, and the manifest has no state_versions), a key gone is printed once as deleted
// (no tombstones), and the encoded map must fit memberlist's 512-byte MetaMaxSize (a write that
// would not is refused with an error event; memberlist itself would panic).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/hashicorp/memberlist"
)

const version = "memberlist-node 0.1.0 (memberlist 0.2.2)"

// ---- output -----------------------------------------------------------------------------

var outMu sync.Mutex
var out = bufio.NewWriter(os.Stdout)

func now() float64 { return float64(time.Now().UnixNano()) / 1e9 }

// emit prints one contract event.
func emit(ev map[string]interface{}) {
	// The stamp is taken under the lock: a node's clock must never go back in its output.
	outMu.Lock()
	ev["ts"] = now()
	b, err := json.Marshal(ev)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"ts":%f,"type":"error","message":"encode: %s"}`, now(), err))
	}
	out.Write(b)
	out.WriteByte('\n')
	out.Flush()
	outMu.Unlock()
}

func emitError(msg string) { emit(map[string]interface{}{"type": "error", "message": msg}) }

// ---- counters: a Transport wrapper ------------------------------------------------------

// countingTransport counts UDP datagrams and TCP streams (one exchange each way) with their
// bytes, as the reference node counts them.
type countingTransport struct {
	*memberlist.NetTransport
	packets                      chan *memberlist.Packet
	streams                      chan net.Conn
	pktsSent, pktsRecv           int64
	bytesSent, bytesRecv, badPkt int64
}

func newCountingTransport(nt *memberlist.NetTransport) *countingTransport {
	t := &countingTransport{NetTransport: nt, packets: make(chan *memberlist.Packet),
		streams: make(chan net.Conn)}
	go func() {
		for p := range nt.PacketCh() {
			atomic.AddInt64(&t.pktsRecv, 1)
			atomic.AddInt64(&t.bytesRecv, int64(len(p.Buf)))
			t.packets <- p
		}
	}()
	go func() {
		for c := range nt.StreamCh() {
			atomic.AddInt64(&t.pktsRecv, 1)
			t.streams <- &countingConn{Conn: c, t: t}
		}
	}()
	return t
}

func (t *countingTransport) sent(n int) {
	atomic.AddInt64(&t.pktsSent, 1)
	atomic.AddInt64(&t.bytesSent, int64(n))
}
func (t *countingTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	t.sent(len(b))
	return t.NetTransport.WriteTo(b, addr)
}
func (t *countingTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	t.sent(len(b))
	return t.NetTransport.WriteToAddress(b, a)
}
func (t *countingTransport) PacketCh() <-chan *memberlist.Packet { return t.packets }
func (t *countingTransport) StreamCh() <-chan net.Conn           { return t.streams }
func (t *countingTransport) DialTimeout(addr string, d time.Duration) (net.Conn, error) {
	c, err := t.NetTransport.DialTimeout(addr, d)
	if err != nil {
		return c, err
	}
	atomic.AddInt64(&t.pktsSent, 1)
	return &countingConn{Conn: c, t: t}, nil
}
func (t *countingTransport) DialAddressTimeout(a memberlist.Address, d time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, d)
}

type countingConn struct {
	net.Conn
	t *countingTransport
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	atomic.AddInt64(&c.t.bytesRecv, int64(n))
	return n, err
}
func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	atomic.AddInt64(&c.t.bytesSent, int64(n))
	return n, err
}

func (t *countingTransport) event(typ string) map[string]interface{} {
	return map[string]interface{}{"type": typ,
		"pkts_sent": atomic.LoadInt64(&t.pktsSent), "pkts_recv": atomic.LoadInt64(&t.pktsRecv),
		"bytes_sent": atomic.LoadInt64(&t.bytesSent), "bytes_recv": atomic.LoadInt64(&t.bytesRecv),
		"bad_pkts": atomic.LoadInt64(&t.badPkt)}
}

// ---- the node table (private; read-only) ------------------------------------------------

// nodeStateMirror has memberlist 0.2.2's nodeState layout; checkLayout proves it at start.
type nodeStateMirror struct {
	memberlist.Node
	Incarnation uint32
	State       memberlist.NodeStateType
	StateChange time.Time
}

type table struct {
	lock  *sync.RWMutex
	nodes *[]*nodeStateMirror
}

func openTable(ml *memberlist.Memberlist) (*table, error) {
	v := reflect.ValueOf(ml).Elem()
	lf, nf := v.FieldByName("nodeLock"), v.FieldByName("nodes")
	if !lf.IsValid() || lf.Type() != reflect.TypeOf(sync.RWMutex{}) {
		return nil, fmt.Errorf("memberlist.Memberlist has no nodeLock sync.RWMutex")
	}
	if !nf.IsValid() || nf.Kind() != reflect.Slice || nf.Type().Elem().Kind() != reflect.Ptr {
		return nil, fmt.Errorf("memberlist.Memberlist has no nodes []*nodeState")
	}
	got, want := nf.Type().Elem().Elem(), reflect.TypeOf(nodeStateMirror{})
	if got.NumField() != want.NumField() || got.Size() != want.Size() {
		return nil, fmt.Errorf("nodeState has %d fields/%d bytes, expected %d/%d",
			got.NumField(), got.Size(), want.NumField(), want.Size())
	}
	for i := 0; i < want.NumField(); i++ {
		g, w := got.Field(i), want.Field(i)
		if g.Name != w.Name || g.Type != w.Type || g.Offset != w.Offset {
			return nil, fmt.Errorf("nodeState field %d is %s %v@%d, expected %s %v@%d", i,
				g.Name, g.Type, g.Offset, w.Name, w.Type, w.Offset)
		}
	}
	return &table{lock: (*sync.RWMutex)(unsafe.Pointer(lf.UnsafeAddr())),
		nodes: (*[]*nodeStateMirror)(unsafe.Pointer(nf.UnsafeAddr()))}, nil
}

// mirrorOf turns the *Node memberlist hands its delegates (always &state.Node, the first
// field of a nodeState) into the whole entry; only valid while memberlist holds nodeLock.
func mirrorOf(n *memberlist.Node) *nodeStateMirror { return (*nodeStateMirror)(unsafe.Pointer(n)) }

func stateName(s memberlist.NodeStateType) string {
	switch s {
	case memberlist.StateAlive:
		return "alive"
	case memberlist.StateSuspect:
		return "suspect"
	case memberlist.StateDead:
		return "dead"
	case memberlist.StateLeft:
		return "left"
	}
	return fmt.Sprintf("state-%d", s)
}

// ---- the node ---------------------------------------------------------------------------

type seen struct {
	state string
	inc   uint32
}

type node struct {
	id    string
	ml    *memberlist.Memberlist
	tab   *table
	tr    *countingTransport
	queue *memberlist.TransmitLimitedQueue

	mu       sync.Mutex // guards reported, rumors, started, early and held
	reported map[string]seen
	// held is, per owner, the entries this node has printed (its own included).
	held map[string]map[string]string
	// metaMu guards meta: this node's own entries, what NodeMeta encodes.
	metaMu sync.Mutex
	meta   map[string]string
	// Member events from before `started` is printed (a peer can join the seed between
	// memberlist.Create and that line); they follow it, in order, as the contract wants.
	started bool
	early   []map[string]interface{}
	rumors  map[string]bool
	refutes chan refuteNote
}

// observe prints a member event when (state, incarnation) differs from what was printed.
// Callers hold memberlist's nodeLock (delegates: write; poller: read), so the table cannot
// change under them and events come out in the order memberlist applied them.
func (n *node) observe(s *nodeStateMirror) {
	if s.Name == n.id {
		return
	}
	now := seen{stateName(s.State), s.Incarnation}
	n.mu.Lock()
	old, ok := n.reported[s.Name]
	if ok && old == now {
		n.mu.Unlock()
		return
	}
	n.reported[s.Name] = now
	ev := map[string]interface{}{"type": "member", "member": s.Name, "state": now.state,
		"incarnation": now.inc, "addr": fmt.Sprintf("%s:%d", s.Addr, s.Port)}
	n.emitLocked(ev)
	n.mu.Unlock()
}

// emitLocked prints ev, or keeps it for after `started`; the caller holds n.mu.
func (n *node) emitLocked(ev map[string]interface{}) {
	if !n.started {
		n.early = append(n.early, ev)
		return
	}
	emit(ev)
}

func (n *node) NotifyJoin(m *memberlist.Node) {
	n.observe(mirrorOf(m))
	n.stateOf(mirrorOf(m))
}
func (n *node) NotifyLeave(m *memberlist.Node) { n.observe(mirrorOf(m)) }
func (n *node) NotifyUpdate(m *memberlist.Node) {
	n.observe(mirrorOf(m))
	n.stateOf(mirrorOf(m))
}

// ---- application state: node metadata ---------------------------------------------------

func decodeMeta(b []byte) (map[string]string, error) {
	m := map[string]string{}
	if len(b) == 0 {
		return m, nil
	}
	err := json.Unmarshal(b, &m)
	return m, err
}

func encodeMeta(m map[string]string) []byte {
	if len(m) == 0 {
		return nil
	}
	b, _ := json.Marshal(m) // sorted keys: equal maps, equal bytes
	return b
}

// digestOf is 16 hex digits of the value's 64-bit FNV-1a hash (serf-node.py's too).
func digestOf(v string) string {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(v); i++ {
		h = (h ^ uint64(v[i])) * 0x100000001b3
	}
	return fmt.Sprintf("%016x", h)
}

func (n *node) stateEvent(owner, key string, value *string, inc uint32) map[string]interface{} {
	v := ""
	if value != nil {
		v = *value
	}
	return map[string]interface{}{"type": "state", "owner": owner, "key": key,
		"version": inc, "digest": digestOf(v), "deleted": value == nil}
}

// stateOf prints a `state` event for each key of s's meta that differs from what was printed.
// memberlist holds its node lock, so owners' changes come out in the order it applied them.
func (n *node) stateOf(s *nodeStateMirror) {
	now, err := decodeMeta(s.Meta)
	if err != nil {
		atomic.AddInt64(&n.tr.badPkt, 1)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	had := n.held[s.Name]
	if had == nil {
		had = map[string]string{}
		n.held[s.Name] = had
	}
	keys := []string{}
	for k := range had {
		keys = append(keys, k)
	}
	for k := range now {
		if _, ok := had[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		old, was := had[k]
		v, is := now[k]
		if was == is && old == v {
			continue
		}
		if is {
			had[k] = v
			n.emitLocked(n.stateEvent(s.Name, k, &v, s.Incarnation))
		} else {
			delete(had, k)
			n.emitLocked(n.stateEvent(s.Name, k, nil, s.Incarnation))
		}
	}
}

// write sets (value != nil) or deletes one of the node's own entries: NodeMeta changes, and
// UpdateNode raises the incarnation and gossips it; NotifyUpdate on this node prints it.
func (n *node) write(key string, value *string) {
	what := "delete"
	if value != nil {
		what = "set"
	}
	n.metaMu.Lock()
	next := map[string]string{}
	for k, v := range n.meta {
		next[k] = v
	}
	if value != nil {
		next[key] = *value
	} else {
		delete(next, key)
	}
	if size := len(encodeMeta(next)); size > memberlist.MetaMaxSize {
		n.metaMu.Unlock()
		emitError(fmt.Sprintf("%s %s: the node's metadata would be %d bytes, over memberlist's "+
			"%d-byte MetaMaxSize", what, key, size, memberlist.MetaMaxSize))
		return
	}
	_, had := n.meta[key]
	unchanged := (value == nil && !had) || (value != nil && had && n.meta[key] == *value)
	n.meta = next
	n.metaMu.Unlock()
	if err := n.ml.UpdateNode(5 * time.Second); err != nil {
		// The update is applied and queued; memberlist only gave up waiting for its sends.
		fmt.Fprintf(os.Stderr, "memberlist-node: %s %s: UpdateNode: %v\n", what, key, err)
	}
	if unchanged {
		// The meta did not change, so memberlist notifies nobody; the write is still applied.
		n.mu.Lock()
		n.emitLocked(n.stateEvent(n.id, key, value, n.selfIncarnation()))
		n.mu.Unlock()
	}
}

// digest answers from memberlist's table: every member's metadata as this node holds it.
func (n *node) digest() {
	owners := []map[string]interface{}{}
	total := 0
	n.tab.lock.RLock()
	names := []string{}
	metas := map[string][]byte{}
	for _, s := range *n.tab.nodes {
		names = append(names, s.Name)
		metas[s.Name] = s.Meta
	}
	n.tab.lock.RUnlock()
	sort.Strings(names)
	for _, name := range names {
		m, err := decodeMeta(metas[name])
		if err != nil || len(m) == 0 {
			continue
		}
		keys := []string{}
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var all strings.Builder
		for _, k := range keys {
			all.WriteString(k + "\x00" + m[k] + "\x00")
		}
		owners = append(owners, map[string]interface{}{"owner": name, "entries": len(m),
			"hash": digestOf(all.String())})
		total += len(m)
	}
	emit(map[string]interface{}{"type": "state_digest", "owners": owners, "entries": total})
}

func (n *node) poll() {
	n.tab.lock.RLock()
	for _, s := range *n.tab.nodes {
		n.observe(s)
	}
	n.tab.lock.RUnlock()
}

func (n *node) selfIncarnation() uint32 {
	n.tab.lock.RLock()
	defer n.tab.lock.RUnlock()
	for _, s := range *n.tab.nodes {
		if s.Name == n.id {
			return s.Incarnation
		}
	}
	return 0
}

func (n *node) view() {
	members := []map[string]interface{}{}
	n.tab.lock.RLock()
	for _, s := range *n.tab.nodes {
		if s.Name != n.id {
			members = append(members, map[string]interface{}{"id": s.Name,
				"state": stateName(s.State), "incarnation": s.Incarnation,
				"addr": fmt.Sprintf("%s:%d", s.Addr, s.Port)})
		}
	}
	n.tab.lock.RUnlock()
	emit(map[string]interface{}{"type": "view", "members": members,
		"self": map[string]interface{}{"id": n.id, "incarnation": n.selfIncarnation()}})
}

// ---- rumors: the Delegate and its broadcast queue ---------------------------------------

type rumorMsg struct {
	Rumor   string `json:"r"`
	Origin  string `json:"o"`
	Payload string `json:"p"`
}

type rumorBroadcast struct{ msg []byte }

func (b *rumorBroadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (b *rumorBroadcast) Message() []byte                       { return b.msg }
func (b *rumorBroadcast) Finished()                             {}

func (n *node) NodeMeta(int) []byte {
	n.metaMu.Lock()
	defer n.metaMu.Unlock()
	return encodeMeta(n.meta)
}
func (n *node) LocalState(bool) []byte        { return nil }
func (n *node) MergeRemoteState([]byte, bool) {}
func (n *node) GetBroadcasts(overhead, limit int) [][]byte {
	return n.queue.GetBroadcasts(overhead, limit)
}

// NotifyMsg delivers a rumor the first time it arrives and queues it again, so receivers
// relay it (the way Serf relays user events); memberlist itself only carries bytes.
func (n *node) NotifyMsg(b []byte) {
	var m rumorMsg
	if err := json.Unmarshal(b, &m); err != nil || m.Rumor == "" {
		atomic.AddInt64(&n.tr.badPkt, 1)
		return
	}
	n.mu.Lock()
	dup := n.rumors[m.Rumor]
	n.rumors[m.Rumor] = true
	n.mu.Unlock()
	if dup {
		return
	}
	emit(map[string]interface{}{"type": "rumor", "rumor": m.Rumor, "origin": m.Origin,
		"payload": m.Payload})
	n.queue.QueueBroadcast(&rumorBroadcast{msg: append([]byte(nil), b...)})
}

func (n *node) broadcast(rumor, payload string) {
	b, _ := json.Marshal(rumorMsg{Rumor: rumor, Origin: n.id, Payload: payload})
	n.mu.Lock()
	// The contract: a rumor id already known (rumors are keyed by id alone here, as
	// NotifyMsg delivers them) is refused, by name, and not spread again.
	known := n.rumors[rumor]
	n.rumors[rumor] = true
	n.mu.Unlock()
	if known {
		emitError(fmt.Sprintf("broadcast: rumor %q was already broadcast", rumor))
		return
	}
	emit(map[string]interface{}{"type": "rumor", "rumor": rumor, "origin": n.id,
		"payload": payload})
	n.queue.QueueBroadcast(&rumorBroadcast{msg: b})
}

// ---- log lines ------------------------------------------------------------------------

type refuteNote struct{ from string }

// logWriter forwards memberlist's log to stderr and turns refutations into notes. It runs
// inside memberlist's nodeLock, so it only queues; refuteLoop reads the new incarnation.
type logWriter struct{ n *node }

func (w logWriter) Write(b []byte) (int, error) {
	os.Stderr.Write(b)
	line := string(b)
	for _, key := range []string{"Refuting a suspect message (from: ",
		"Refuting a dead message (from: "} {
		if i := strings.Index(line, key); i >= 0 {
			from := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line[i+len(key):]), ")"))
			select {
			case w.n.refutes <- refuteNote{from}:
			default:
			}
		}
	}
	return len(b), nil
}

func (n *node) refuteLoop() {
	for r := range n.refutes {
		emit(map[string]interface{}{"type": "refute",
			"incarnation": n.selfIncarnation(), "from": r.from})
	}
}

// ---- main ----------------------------------------------------------------------------

func main() {
	id := flag.String("id", "", "node id")
	bind := flag.String("bind", "127.0.0.1", "address to bind")
	port := flag.Int("port", 7946, "UDP and TCP port")
	seeds := flag.String("seeds", "", "comma-separated ADDR:PORT to join")
	profile := flag.String("profile", "local", "lan or broadcast (DefaultLANConfig) or local (DefaultLocalConfig)")
	joinFor := flag.Duration("join-retry-for", 30*time.Second, "keep retrying the first join this long")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	if *id == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "memberlist-node: --id is required and no positional arguments are taken")
		os.Exit(2)
	}
	var cfg *memberlist.Config
	switch *profile {
	case "lan", "broadcast": // broadcast: glomers-broadcast's profile, memberlist's LAN as is
		cfg = memberlist.DefaultLANConfig()
	case "local":
		cfg = memberlist.DefaultLocalConfig()
	default:
		fmt.Fprintf(os.Stderr, "memberlist-node: --profile expects lan, local or broadcast, got %q\n", *profile)
		os.Exit(2)
	}
	n := &node{id: *id, reported: map[string]seen{}, rumors: map[string]bool{},
		refutes: make(chan refuteNote, 64), held: map[string]map[string]string{},
		meta: map[string]string{}}
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{*bind}, BindPort: *port})
	if err != nil {
		emitError(fmt.Sprintf("bind %s:%d: %v", *bind, *port, err))
		os.Exit(3)
	}
	n.tr = newCountingTransport(nt)
	cfg.Name, cfg.BindAddr, cfg.BindPort = *id, *bind, *port
	cfg.AdvertiseAddr, cfg.AdvertisePort = *bind, *port
	cfg.Transport = n.tr
	cfg.Events, cfg.Delegate = n, n
	cfg.LogOutput = logWriter{n}
	n.queue = &memberlist.TransmitLimitedQueue{RetransmitMult: cfg.RetransmitMult,
		NumNodes: func() int {
			if n.ml == nil {
				return 1
			}
			return n.ml.NumMembers()
		}}
	ml, err := memberlist.Create(cfg)
	if err != nil {
		emitError(fmt.Sprintf("memberlist.Create: %v", err))
		os.Exit(3)
	}
	n.ml = ml
	if n.tab, err = openTable(ml); err != nil {
		emitError("this memberlist's node table is not the 0.2.2 layout: " + err.Error())
		os.Exit(3)
	}
	go n.refuteLoop()
	// The incarnation first: it takes memberlist's node lock, which delegates hold when they
	// take n.mu (observe), so n.mu is never held while waiting for it.
	inc := n.selfIncarnation()
	n.mu.Lock()
	emit(map[string]interface{}{"type": "started", "id": *id,
		"addr": fmt.Sprintf("%s:%d", *bind, *port), "incarnation": inc,
		"contract": 2, "impl": "memberlist", "version": version})
	for _, ev := range n.early {
		emit(ev)
	}
	n.started, n.early = true, nil
	n.mu.Unlock()

	go func() {
		for {
			time.Sleep(10 * time.Millisecond)
			n.poll()
		}
	}()
	go func() {
		for {
			time.Sleep(time.Second)
			emit(n.tr.event("counters"))
		}
	}()
	if *seeds != "" {
		go joinSeeds(ml, strings.Split(*seeds, ","), *joinFor)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		stop(n, "signal", 0)
	}()
	readCommands(n, os.Stdin)
	select {} // EOF on stdin means nothing: keep running until a signal
}

// joinSeeds retries until one seed answers: agents start in parallel, so the seed may not
// be listening yet. After that first success the node never re-contacts anyone itself.
func joinSeeds(ml *memberlist.Memberlist, seeds []string, retryFor time.Duration) {
	deadline := time.Now().Add(retryFor)
	wait := 100 * time.Millisecond
	for {
		k, err := ml.Join(seeds)
		if k > 0 {
			return
		}
		if time.Now().After(deadline) {
			emitError(fmt.Sprintf("join %v: gave up after %v: %v", seeds, retryFor, err))
			return
		}
		time.Sleep(wait)
		if wait < time.Second {
			wait *= 2
		}
	}
}

func stop(n *node, reason string, code int) {
	ev := n.tr.event("counters")
	emit(ev)
	st := n.tr.event("stopping")
	st["reason"] = reason
	emit(st)
	os.Exit(code)
}

func readCommands(n *node, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var c struct {
			Cmd     string  `json:"cmd"`
			Rumor   *string `json:"rumor"`
			Payload string  `json:"payload"`
			Key     *string `json:"key"`
			Value   *string `json:"value"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			emitError(fmt.Sprintf("stdin: not a JSON command (%v): %.200s", err, line))
			continue
		}
		switch c.Cmd {
		case "broadcast":
			if c.Rumor == nil || *c.Rumor == "" {
				emitError("stdin: broadcast needs a non-empty \"rumor\"")
				continue
			}
			n.broadcast(*c.Rumor, c.Payload)
		case "set", "delete":
			if c.Key == nil || *c.Key == "" || (c.Cmd == "set" && c.Value == nil) {
				emitError(fmt.Sprintf("stdin: %s needs a non-empty string \"key\"%s", c.Cmd,
					map[bool]string{true: " and a string \"value\"", false: ""}[c.Cmd == "set"]))
				continue
			}
			if c.Cmd == "set" {
				n.write(*c.Key, c.Value)
			} else {
				n.write(*c.Key, nil)
			}
		case "digest":
			n.digest()
		case "view":
			n.view()
		case "leave":
			// Leave waits until the leave message is out (or the timeout); then go.
			if err := n.ml.Leave(3 * time.Second); err != nil {
				emitError("leave: " + err.Error())
			}
			n.ml.Shutdown()
			stop(n, "leave", 0)
		default:
			emitError(fmt.Sprintf("stdin: unknown command %q (expected broadcast, set, delete, digest, view or leave)", c.Cmd))
		}
	}
}
