// The nfqueue backend: a userspace engine that holds, drops, duplicates and releases the
// packets the hub forwards, per (src, dst), on one event-loop thread.
#include "impairer.hpp"
#include "impairment.hpp"
#include "sys.hpp"

#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>

namespace gossiplab::netem {
namespace {

constexpr uint16_t kQueueNum = 0;
// Held packets count against the queue: room for 100k packets/s held for 2 s.
constexpr uint32_t kQueueMaxLen = 200000;
constexpr size_t kBatch = 32;            // packets per recvmmsg
constexpr size_t kBatchBytes = 64 * 32;  // verdicts per send: 64 messages of 32 bytes

int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

struct Held {
    int64_t release_ns;
    uint64_t seq;  // FIFO among packets released at the same instant
    uint32_t id;
    bool duplicate;
    bool modified;
    std::vector<uint8_t> data;  // kept only when a copy or a corrupted payload is needed
    bool operator>(const Held& o) const {
        return release_ns != o.release_ns ? release_ns > o.release_ns : seq > o.seq;
    }
};

class NfqueueEngine final : public Impairment {
  public:
    explicit NfqueueEngine(const Topology& topo) : topo_(topo), impairer_(topo.seed) {
        for (size_t i = 0; i < topo.addr_be.size(); ++i)
            index_.emplace(topo.addr_be[i], static_cast<int>(i));
        const auto n = topo.addr_be.size();
        current_ = std::make_shared<Table>(static_cast<int>(n));
        impairer_.set_table(current_);
        links_ = std::make_unique<AtomicCounters[]>(n * n);
        const std::string brk = break_impairment();
        break_delay_ = brk == "delay";
        break_partition_ = brk == "partition";
        open_queue();
        raw_ = sys::Fd(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
        if (raw_.get() < 0) sys::throw_errno("nfqueue engine: raw socket for duplicates", errno);
        wake_ = sys::Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (wake_.get() < 0) sys::throw_errno("nfqueue engine: eventfd", errno);
        thread_ = std::thread([this] { loop(); });
        // No --queue-bypass: when no engine is bound the kernel drops (fail closed).
        try {
            sys::run_checked({"iptables", "-w", "-A", "FORWARD", "-j", "NFQUEUE", "--queue-num",
                              std::to_string(kQueueNum)},
                             "nfqueue engine: install the hub's NFQUEUE rule (iptables/xtables)");
        } catch (...) {
            stop();
            throw;
        }
    }

    ~NfqueueEngine() override {
        sys::run({"iptables", "-w", "-D", "FORWARD", "-j", "NFQUEUE", "--queue-num",
                  std::to_string(kQueueNum)});
        stop();
    }

    std::string name() const override { return "nfqueue"; }

    void apply(const Table& t) override {
        {
            std::lock_guard<std::mutex> g(mu_);
            pending_ = std::make_shared<Table>(t);
        }
        changed_.store(true, std::memory_order_release);
    }

    Lab::Stats stats() const override {
        Lab::Stats s;
        s.queued = queued_.load(std::memory_order_relaxed);
        s.passed = passed_.load(std::memory_order_relaxed);
        s.dropped = dropped_.load(std::memory_order_relaxed);
        s.duplicated = duplicated_.load(std::memory_order_relaxed);
        s.delayed = delayed_.load(std::memory_order_relaxed);
        return s;
    }

    int64_t take_release_lag_ns() override {
        return lag_max_ns_.exchange(0, std::memory_order_relaxed);
    }

    Observed observe() override {
        Observed o;
        {
            std::lock_guard<std::mutex> g(mu_);
            o.in_force = pending_ ? *pending_ : *current_;
        }
        const size_t links = o.in_force.shape.size();
        o.counters.resize(links);
        for (size_t i = 0; i < links; ++i) {
            auto& c = links_[i];
            // The engine is both the partition and the link's shaping element: every packet it
            // forwards past the grudge is, by construction, a packet its shaping received (netem
            // counts the two apart: iptables and the qdisc can disagree there).
            const uint64_t forwarded = c.forwarded.load(std::memory_order_relaxed);
            o.counters[i] = {forwarded, forwarded, c.lost.load(std::memory_order_relaxed),
                             c.held.load(std::memory_order_relaxed),
                             c.cut.load(std::memory_order_relaxed)};
        }
        return o;
    }

  private:
    // The engine's own count of what it did on one link (it is both the partition and the
    // shaping element, so every packet it forwards reaches the link's shaping).
    struct AtomicCounters {
        std::atomic<uint64_t> forwarded{0}, lost{0}, held{0}, cut{0};
    };
    void count(int src, int dst, std::atomic<uint64_t> AtomicCounters::*field) {
        if (src < 0 || dst < 0) return;
        const auto n = topo_.addr_be.size();
        (links_[static_cast<size_t>(src) * n + static_cast<size_t>(dst)].*field)
            .fetch_add(1, std::memory_order_relaxed);
    }

    void open_queue() {
        h_ = nfq_open();
        if (!h_) sys::throw_errno("nfqueue engine: nfq_open (nfnetlink_queue)", errno);
        // Old kernels want the family rebound; new ones ignore it. Errors here are harmless.
        nfq_unbind_pf(h_, AF_INET);
        nfq_bind_pf(h_, AF_INET);
        qh_ = nfq_create_queue(h_, kQueueNum, &NfqueueEngine::on_packet_cb, this);
        if (!qh_) {
            int err = errno;
            nfq_close(h_);
            h_ = nullptr;
            sys::throw_errno("nfqueue engine: bind queue " + std::to_string(kQueueNum), err);
        }
        if (nfq_set_mode(qh_, NFQNL_COPY_PACKET, 0xffff) < 0) {
            close_queue();
            sys::throw_errno("nfqueue engine: set copy mode", errno);
        }
        nfq_set_queue_maxlen(qh_, kQueueMaxLen);
        // Fail closed: never set NFQA_CFG_F_FAIL_OPEN, so a full queue drops rather than
        // letting packets through unimpaired. Clear it explicitly in case of a default.
        nfq_set_queue_flags(qh_, NFQA_CFG_F_FAIL_OPEN, 0);
        nfnl_rcvbufsiz(nfq_nfnlh(h_), 64u << 20);
        int one = 1;
        ::setsockopt(nfq_fd(h_), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
    }

    void close_queue() {
        if (qh_) nfq_destroy_queue(qh_);
        if (h_) nfq_close(h_);
        qh_ = nullptr;
        h_ = nullptr;
    }

    void stop() {
        if (thread_.joinable()) {
            stopping_.store(true);
            uint64_t one = 1;
            (void)!::write(wake_.get(), &one, sizeof one);
            thread_.join();
        }
        close_queue();
    }

    static int on_packet_cb(nfq_q_handle*, nfgenmsg*, nfq_data* nfad, void* self) {
        static_cast<NfqueueEngine*>(self)->on_packet(nfad);
        return 0;
    }

    // Verdicts are batched: one send() carries many netlink messages, which the kernel walks
    // in order. This halves the syscalls per packet compared with one verdict per send.
    void verdict(uint32_t id, uint32_t v) {
        constexpr size_t kLen = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)) + NLA_HDRLEN +
                                NLA_ALIGN(sizeof(nfqnl_msg_verdict_hdr));
        const size_t off = vbuf_.size();
        vbuf_.resize(off + kLen);
        char* p = vbuf_.data() + off;
        std::memset(p, 0, kLen);
        auto* nlh = reinterpret_cast<nlmsghdr*>(p);
        nlh->nlmsg_len = kLen;
        nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT;
        nlh->nlmsg_flags = NLM_F_REQUEST;
        auto* nfg = reinterpret_cast<nfgenmsg*>(p + NLMSG_HDRLEN);
        nfg->nfgen_family = AF_UNSPEC;
        nfg->version = NFNETLINK_V0;
        nfg->res_id = htons(kQueueNum);
        auto* nla = reinterpret_cast<nlattr*>(p + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)));
        nla->nla_len = NLA_HDRLEN + sizeof(nfqnl_msg_verdict_hdr);
        nla->nla_type = NFQA_VERDICT_HDR;
        auto* vh =
            reinterpret_cast<nfqnl_msg_verdict_hdr*>(reinterpret_cast<char*>(nla) + NLA_HDRLEN);
        vh->verdict = htonl(v);
        vh->id = htonl(id);
        if (vbuf_.size() >= kBatchBytes) flush();
    }

    void flush() {
        if (!vbuf_.empty()) {
            sockaddr_nl kernel{};
            kernel.nl_family = AF_NETLINK;
            // A failed send loses these verdicts: the packets stay queued and are dropped
            // when the queue goes away, which is the fail-closed direction.
            (void)::sendto(nfq_fd(h_), vbuf_.data(), vbuf_.size(), 0,
                           reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
            vbuf_.clear();
        }
        for (const auto& c : copies_) send_copy(c);
        copies_.clear();
    }

    void send_copy(const std::vector<uint8_t>& pkt) {
        if (pkt.size() < sizeof(iphdr)) return;
        const auto* ip = reinterpret_cast<const iphdr*>(pkt.data());
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_addr.s_addr = ip->daddr;
        // Sent from the hub itself, so it goes through OUTPUT, not FORWARD: it is not queued
        // (and impaired) a second time.
        if (::sendto(raw_.get(), pkt.data(), pkt.size(), MSG_DONTWAIT,
                     reinterpret_cast<sockaddr*>(&to), sizeof to) >= 0) {
            duplicated_.fetch_add(1, std::memory_order_relaxed);
        }
    }

    void on_packet(nfq_data* nfad) {
        const nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfad);
        if (!ph) return;
        const uint32_t id = ntohl(ph->packet_id);
        queued_.fetch_add(1, std::memory_order_relaxed);
        unsigned char* payload = nullptr;
        const int len = nfq_get_payload(nfad, &payload);
        if (changed_.load(std::memory_order_acquire)) {
            std::shared_ptr<const Table> t;
            {
                std::lock_guard<std::mutex> g(mu_);
                t = std::move(pending_);
                if (t) current_ = t;
                changed_.store(false, std::memory_order_relaxed);
            }
            if (t) impairer_.set_table(std::move(t));
        }
        int src = -1, dst = -1;
        if (len >= static_cast<int>(sizeof(iphdr))) {
            const auto* ip = reinterpret_cast<const iphdr*>(payload);
            auto s = index_.find(ip->saddr);
            auto d = index_.find(ip->daddr);
            if (s != index_.end()) src = s->second;
            if (d != index_.end()) dst = d->second;
        }
        const int64_t now = now_ns();
        Fate f = impairer_.decide(now, src, dst, len > 0 ? static_cast<size_t>(len) : 0);
        if (f.partitioned && break_partition_) f = Fate{.release_ns = now};  // test-only
        if (break_delay_) f.release_ns = now;                                // test-only
        if (f.partitioned) {
            count(src, dst, &AtomicCounters::cut);
        } else {
            count(src, dst, &AtomicCounters::forwarded);
            if (f.drop)
                count(src, dst, &AtomicCounters::lost);
            else if (f.release_ns > now)
                count(src, dst, &AtomicCounters::held);
        }
        if (f.drop) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            verdict(id, NF_DROP);
            return;
        }
        Held h{f.release_ns, seq_++, id, f.duplicate, f.corrupt, {}};
        if ((f.duplicate || f.corrupt) && len > 0) h.data.assign(payload, payload + len);
        if (f.corrupt && len > 0) {
            const auto* ip = reinterpret_cast<const iphdr*>(payload);
            const size_t hdr = static_cast<size_t>(ip->ihl) * 4;
            if (h.data.size() > hdr) {
                // Flip one bit after the IP header, so routing still works and the damage
                // shows where netem's would: in the transport checksum or the payload.
                const size_t bits = (h.data.size() - hdr) * 8;
                const size_t bit = hdr * 8 + size_t(f.corrupt_draw % bits);
                h.data[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
            } else {
                h.modified = false;
            }
        }
        if (h.release_ns <= now) {
            release(h);
        } else {
            delayed_.fetch_add(1, std::memory_order_relaxed);
            held_.push(std::move(h));
        }
    }

    void release(Held& h) {
        if (h.modified) {
            flush();  // keep the batch's order around the one verdict that carries a payload
            nfq_set_verdict(qh_, h.id, NF_ACCEPT, static_cast<uint32_t>(h.data.size()),
                            h.data.data());
        } else {
            verdict(h.id, NF_ACCEPT);
        }
        passed_.fetch_add(1, std::memory_order_relaxed);
        // The copy leaves after the original's verdict is sent.
        if (h.duplicate && !h.data.empty()) copies_.push_back(std::move(h.data));
    }

    void release_due() {
        const int64_t now = now_ns();
        int64_t lag = 0;
        while (!held_.empty() && held_.top().release_ns <= now) {
            lag = std::max(lag, now - held_.top().release_ns);
            release(const_cast<Held&>(held_.top()));  // popped right after
            held_.pop();
        }
        // The heap releases the earliest first, so its first packet was the latest; one
        // relaxed max per round keeps the cost off the packet path.
        int64_t seen = lag_max_ns_.load(std::memory_order_relaxed);
        while (lag > seen &&
               !lag_max_ns_.compare_exchange_weak(seen, lag, std::memory_order_relaxed)) {
        }
    }

    void loop() {
        // Timers fire within a microsecond of their deadline instead of the default 50 µs
        // slack, which matters for the delay error budget.
        ::prctl(PR_SET_TIMERSLACK, 1UL);
        ::pthread_setname_np(::pthread_self(), "gl-nfqueue");  // visible in top -H and ps
        // Held packets must leave on time even when the machine is busy (CI shares its cores),
        // so the engine asks for a real-time priority, else a better nice value; both are
        // best effort (refused without CAP_SYS_NICE). Its CPU use is bounded by the traffic.
        sched_param sp{};
        sp.sched_priority = 10;
        if (::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &sp) != 0) {
            (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), -10);
        }
        const int fd = nfq_fd(h_);
        // One recvmmsg fetches up to kBatch queued packets (each is its own netlink message).
        constexpr size_t kSlot = 65536 + 4096;
        std::vector<char> buf(kBatch * kSlot);
        std::vector<mmsghdr> msgs(kBatch);
        std::vector<iovec> iov(kBatch);
        try {
            while (!stopping_.load()) {
                pollfd pfd[2] = {{fd, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
                timespec ts{};
                timespec* tsp = nullptr;
                if (!held_.empty()) {
                    const int64_t wait = std::max<int64_t>(0, held_.top().release_ns - now_ns());
                    ts.tv_sec = wait / 1000000000;
                    ts.tv_nsec = wait % 1000000000;
                    tsp = &ts;
                }
                int r = ::ppoll(pfd, 2, tsp, nullptr);
                if (r < 0 && errno != EINTR) sys::throw_errno("nfqueue engine: ppoll", errno);
                if (r > 0 && (pfd[0].revents & POLLIN)) {
                    // Drain what is there, but come back to the timers after a few batches.
                    for (int round = 0; round < 4; ++round) {
                        for (size_t i = 0; i < kBatch; ++i) {
                            iov[i] = {buf.data() + i * kSlot, kSlot};
                            msgs[i] = mmsghdr{};
                            msgs[i].msg_hdr.msg_iov = &iov[i];
                            msgs[i].msg_hdr.msg_iovlen = 1;
                        }
                        int n = ::recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
                        if (n < 0) {
                            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
                            if (errno == ENOBUFS) continue;  // lost notifications: keep going
                            sys::throw_errno("nfqueue engine: recvmmsg", errno);
                        }
                        for (int i = 0; i < n; ++i) {
                            nfq_handle_packet(h_, static_cast<char*>(iov[i].iov_base),
                                              static_cast<int>(msgs[i].msg_len));
                        }
                        if (n < static_cast<int>(kBatch)) break;
                    }
                }
                release_due();
                flush();
            }
        } catch (const std::exception& e) {
            // Fail closed: the queue stays bound and unserved, so traffic stops.
            std::fprintf(stderr, "gossiplab netem: nfqueue engine stopped: %s\n", e.what());
        }
    }

    Topology topo_;
    std::unordered_map<uint32_t, int> index_;
    Impairer impairer_;
    nfq_handle* h_ = nullptr;
    nfq_q_handle* qh_ = nullptr;
    sys::Fd raw_;
    sys::Fd wake_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::mutex mu_;
    std::shared_ptr<const Table> pending_;
    std::shared_ptr<const Table> current_;  // what the impairer decides by (under mu_)
    std::unique_ptr<AtomicCounters[]> links_;
    bool break_delay_ = false, break_partition_ = false;
    std::atomic<bool> changed_{false};
    std::vector<char> vbuf_;                    // pending verdict messages
    std::vector<std::vector<uint8_t>> copies_;  // duplicates to inject after the flush
    std::priority_queue<Held, std::vector<Held>, std::greater<>> held_;
    uint64_t seq_ = 0;
    std::atomic<uint64_t> queued_{0}, passed_{0}, dropped_{0}, duplicated_{0}, delayed_{0};
    std::atomic<int64_t> lag_max_ns_{0};  // since the last take_release_lag_ns()
};

}  // namespace

std::unique_ptr<Impairment> make_nfqueue(const Topology& topo) {
    return std::make_unique<NfqueueEngine>(topo);
}

}  // namespace gossiplab::netem
