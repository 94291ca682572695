// gossip-node: the Boost.Asio driver that puts the sans-IO core on real UDP, TCP, stdin/stdout
// and signals, one thread, sleeping until the core's next deadline.
#include <fcntl.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "gossip/config.hpp"
#include "gossip/events.hpp"
#include "gossip/malformed.hpp"
#include "gossip/node.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

double wall_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void print_line(const nlohmann::json& j) {
    // Rumor payloads come from the network: replace invalid UTF-8 rather than throw.
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

gossip::Addr to_addr(const asio::ip::address& a, unsigned short port) {
    return gossip::Addr{a.is_v4() ? a.to_v4().to_uint() : 0, port};
}

class Driver {
  public:
    explicit Driver(gossip::Config cfg)
        : cfg_(cfg),
          node_(cfg),
          origin_(std::chrono::steady_clock::now()),
          udp_(io_),
          acceptor_(io_),
          timer_(io_),
          signals_(io_, SIGTERM, SIGINT),
          stdin_(io_) {
        // Push-pull streams get a bounded life so a dead peer cannot pin a connection.
        // At least 3 s: a loaded host (hundreds of nodes on two cores) can take that long to
        // move a few kilobytes, and a cut-off sync is wasted work on both ends.
        stream_timeout_ = std::clamp<gossip::Duration>(
            cfg.probe_interval * 10, std::chrono::seconds(3), std::chrono::seconds(10));
    }

    // Binds both sockets; returns false with a message when the address is unusable.
    bool bind(std::string* error) {
        boost::system::error_code ec;
        auto ip = asio::ip::make_address_v4(cfg_.bind.ip);
        udp::endpoint uep(ip, cfg_.bind.port);
        udp_.open(udp::v4(), ec);
        if (!ec) udp_.bind(uep, ec);
        if (!ec) udp_.non_blocking(true, ec);
        if (ec) {
            *error = "bind udp " + cfg_.bind.to_string() + ": " + ec.message();
            return false;
        }
        tcp::endpoint tep(ip, cfg_.bind.port);
        acceptor_.open(tcp::v4(), ec);
        if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) acceptor_.bind(tep, ec);
        if (!ec) acceptor_.listen(64, ec);
        if (ec) {
            *error = "bind tcp " + cfg_.bind.to_string() + ": " + ec.message();
            return false;
        }
        return true;
    }

    void run() {
        node_.start(now());
        receive();
        accept();
        read_stdin();
        signals_.async_wait([this](const boost::system::error_code& ec, int) {
            if (!ec) stop("signal");
        });
        flush();
        io_.run();
    }

  private:
    gossip::Time now() const {
        return std::chrono::duration_cast<gossip::Time>(std::chrono::steady_clock::now() - origin_);
    }

    [[noreturn]] void stop(const char* reason) {
        node_.emit_counters();
        flush_events();
        print_line(gossip::stopping_json(node_.counters(), reason, wall_now()));
        std::fflush(stderr);
        // _exit: a stdin reader thread may be blocked in read(); nothing else needs unwinding.
        std::_Exit(0);
    }

    void flush_events() {
        while (auto e = node_.poll_event()) print_line(gossip::to_json(*e, wall_now()));
    }

    // Sends what the core queued, prints its events and re-arms the timer.
    void flush() {
        while (auto t = node_.poll_transmit()) {
            if (t->stream) {
                push_pull(std::move(*t));
            } else {
                boost::system::error_code ec;
                udp::endpoint to(asio::ip::make_address_v4(t->to.ip), t->to.port);
                // UDP may drop: a full socket buffer (would_block) is just another loss.
                udp_.send_to(asio::buffer(t->bytes), to, 0, ec);
            }
        }
        flush_events();
        if (node_.finished()) stop("leave");
        arm();
    }

    void arm() {
        gossip::Time d = node_.next_deadline();
        if (d == armed_) return;
        armed_ = d;
        timer_.expires_at(origin_ + d);
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec) return;  // re-armed for another deadline
            armed_ = gossip::Time::min();
            // Datagrams that arrived while we slept (or were stopped) count before timeouts:
            // an ack waiting in the socket must not lose the race against its probe timer.
            drain_udp();
            node_.on_tick(now());
            flush();
        });
    }

    void drain_udp() {
        for (int i = 0; i < 1024; ++i) {
            boost::system::error_code ec;
            udp::endpoint from;
            std::size_t n = udp_.receive_from(asio::buffer(buf_), from, 0, ec);
            if (ec) return;
            node_.on_packet(now(), to_addr(from.address(), from.port()), {buf_.data(), n});
        }
    }

    void receive() {
        udp_.async_receive_from(
            asio::buffer(buf_), from_, [this](const boost::system::error_code& ec, std::size_t n) {
                if (!ec) {
                    node_.on_packet(now(), to_addr(from_.address(), from_.port()),
                                    {buf_.data(), n});
                    flush();
                }
                receive();
            });
    }

    // One TCP exchange: a framed request, a framed reply, then close.
    struct Conn : std::enable_shared_from_this<Conn> {
        explicit Conn(asio::io_context& io) : sock(io), timer(io) {}
        tcp::socket sock;
        asio::steady_timer timer;
        std::array<std::uint8_t, 4> len{};
        std::vector<std::uint8_t> out;
        std::vector<std::uint8_t> in;
        gossip::Addr peer;
        bool done = false;
    };

    static std::vector<std::uint8_t> frame(const std::vector<std::uint8_t>& body) {
        std::vector<std::uint8_t> f(4 + body.size());
        std::uint32_t n = static_cast<std::uint32_t>(body.size());
        f[0] = static_cast<std::uint8_t>(n >> 24);
        f[1] = static_cast<std::uint8_t>(n >> 16);
        f[2] = static_cast<std::uint8_t>(n >> 8);
        f[3] = static_cast<std::uint8_t>(n);
        std::copy(body.begin(), body.end(), f.begin() + 4);
        return f;
    }

    static std::uint32_t frame_len(const std::array<std::uint8_t, 4>& b) {
        return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) |
               (std::uint32_t(b[2]) << 8) | std::uint32_t(b[3]);
    }

    void start_deadline(const std::shared_ptr<Conn>& c) {
        c->timer.expires_after(stream_timeout_);
        c->timer.async_wait([c](const boost::system::error_code& ec) {
            if (!ec) {
                boost::system::error_code ignored;
                c->sock.close(ignored);
            }
        });
    }

    void finish(const std::shared_ptr<Conn>& c, bool failed) {
        if (c->done) return;
        c->done = true;
        c->timer.cancel();
        boost::system::error_code ignored;
        c->sock.close(ignored);
        if (failed) {
            node_.on_stream_failed(now(), c->peer);
            flush();
        }
    }

    void push_pull(gossip::Transmit t) {
        auto c = std::make_shared<Conn>(io_);
        c->peer = t.to;
        c->out = frame(t.bytes);
        start_deadline(c);
        tcp::endpoint ep(asio::ip::make_address_v4(t.to.ip), t.to.port);
        c->sock.async_connect(ep, [this, c](const boost::system::error_code& ec) {
            if (ec) return finish(c, true);
            asio::async_write(c->sock, asio::buffer(c->out),
                              [this, c](const boost::system::error_code& ec, std::size_t) {
                                  if (ec) return finish(c, true);
                                  read_frame(c, [this, c](Read r) {
                                      if (r != Read::ok) return finish(c, true);
                                      node_.on_stream_reply(now(), c->peer, c->in);
                                      finish(c, false);
                                      flush();
                                  });
                              });
        });
    }

    enum class Read { ok, closed, bad_length };

    template <typename F>
    void read_frame(const std::shared_ptr<Conn>& c, F done) {
        asio::async_read(c->sock, asio::buffer(c->len),
                         [c, done](const boost::system::error_code& ec, std::size_t) {
                             if (ec) return done(Read::closed);
                             std::uint32_t n = frame_len(c->len);
                             if (n == 0 || n > gossip::kMaxStreamFrame)
                                 return done(Read::bad_length);
                             c->in.resize(n);
                             asio::async_read(
                                 c->sock, asio::buffer(c->in),
                                 [done](const boost::system::error_code& ec, std::size_t) {
                                     done(ec ? Read::closed : Read::ok);
                                 });
                         });
    }

    void accept() {
        acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket sock) {
            if (!ec) serve(std::move(sock));
            accept();
        });
    }

    void serve(tcp::socket sock) {
        auto c = std::make_shared<Conn>(io_);
        c->sock = std::move(sock);
        boost::system::error_code ec;
        auto rep = c->sock.remote_endpoint(ec);
        if (!ec) c->peer = to_addr(rep.address(), rep.port());
        start_deadline(c);
        read_frame(c, [this, c](Read r) {
            if (r != Read::ok) {
                // A length beyond the limit is bad input (counted by the core as such); a
                // peer that gave up or timed out is not.
                if (r == Read::bad_length) node_.on_stream(now(), c->peer, {});
                return finish(c, false);
            }
            auto reply = node_.on_stream(now(), c->peer, c->in);
            flush();
            if (reply.empty()) return finish(c, false);
            c->out = frame(reply);
            asio::async_write(
                c->sock, asio::buffer(c->out),
                [this, c](const boost::system::error_code&, std::size_t) { finish(c, false); });
        });
    }

    // ---- control on stdin --------------------------------------------------------------

    void read_stdin() {
        int fd = ::dup(STDIN_FILENO);
        boost::system::error_code ec;
        if (fd >= 0) stdin_.assign(fd, ec);
        if (fd < 0 || ec) {
            // Regular files and /dev/null cannot be polled: read them on a helper thread that
            // hands each line to the loop. EOF ends reading, never the node (contract).
            if (fd >= 0) ::close(fd);
            std::thread([this] {
                std::string line;
                while (std::getline(std::cin, line)) {
                    asio::post(io_, [this, line] { command(line); });
                }
            }).detach();
            return;
        }
        read_stdin_line();
    }

    void read_stdin_line() {
        asio::async_read_until(
            stdin_, stdin_buf_, '\n', [this](const boost::system::error_code& ec, std::size_t n) {
                if (ec) return;  // EOF or error: stop listening, keep running
                std::string line(
                    asio::buffers_begin(stdin_buf_.data()),
                    asio::buffers_begin(stdin_buf_.data()) + static_cast<std::ptrdiff_t>(n));
                stdin_buf_.consume(n);
                command(line);
                read_stdin_line();
            });
    }

    void error_event(const std::string& message) {
        print_line({{"ts", wall_now()}, {"type", "error"}, {"message", message}});
    }

    void command(std::string line) {
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) return;
        nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            error_event("stdin: expected a JSON object per line, got: " + line.substr(0, 200));
            return;
        }
        if (!j.contains("cmd") || !j["cmd"].is_string()) {
            error_event(
                "stdin: expected a string field \"cmd\" (broadcast, leave, view, set, delete or "
                "digest)");
            return;
        }
        std::string cmd = j["cmd"].get<std::string>();
        if (cmd == "broadcast") {
            if (!j.contains("rumor") || !j["rumor"].is_string()) {
                error_event("broadcast: expected a string field \"rumor\"");
                return;
            }
            std::string payload;
            if (j.contains("payload")) {
                if (!j["payload"].is_string()) {
                    error_event("broadcast: expected \"payload\" to be a string");
                    return;
                }
                payload = j["payload"].get<std::string>();
            }
            std::string err;
            if (!node_.broadcast(now(), j["rumor"].get<std::string>(), payload, &err)) {
                error_event("broadcast: " + err);
            }
        } else if (cmd == "leave") {
            node_.leave(now());
        } else if (cmd == "view") {
            node_.request_view();
        } else if (cmd == "set" || cmd == "delete") {
            if (!j.contains("key") || !j["key"].is_string()) {
                error_event(cmd + ": expected a string field \"key\"");
                return;
            }
            std::string err;
            bool ok = false;
            if (cmd == "set") {
                if (!j.contains("value") || !j["value"].is_string()) {
                    error_event("set: expected a string field \"value\"");
                    return;
                }
                ok = node_.set_state(now(), j["key"].get<std::string>(),
                                     j["value"].get<std::string>(), &err);
            } else {
                ok = node_.delete_state(now(), j["key"].get<std::string>(), &err);
            }
            if (!ok) error_event(cmd + ": " + err);
        } else if (cmd == "digest") {
            node_.request_digest();
        } else {
            error_event("stdin: unknown cmd '" + cmd +
                        "' (expected broadcast, leave, view, set, delete or digest)");
        }
        flush();
    }

    gossip::Config cfg_;
    asio::io_context io_;
    gossip::Node node_;
    std::chrono::steady_clock::time_point origin_;
    udp::socket udp_;
    tcp::acceptor acceptor_;
    asio::steady_timer timer_;
    asio::signal_set signals_;
    asio::posix::stream_descriptor stdin_;
    asio::streambuf stdin_buf_;
    std::array<std::uint8_t, 65536> buf_{};
    udp::endpoint from_;
    gossip::Time armed_ = gossip::Time::min();
    gossip::Duration stream_timeout_{};
};

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    gossip::ParsedArgs args;
    try {
        args = gossip::parse_args(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const gossip::ConfigError& e) {
        std::fprintf(stderr, "gossip-node: %s\n", e.what());
        return 2;
    }
    if (args.help) {
        std::fputs(gossip::help_text().c_str(), stdout);
        return 0;
    }
    if (args.version) {
        std::printf("gossip-node %s\n", gossip::kVersion);
        return 0;
    }
    if (args.malformed_corpus) {
        std::printf("%s\n", gossip::corpus_to_json(gossip::malformed_corpus()).dump(1).c_str());
        return 0;
    }
    if (args.print_profile) {
        const auto profile = gossip::timing_profile(gossip::profile_by_name(*args.print_profile));
        std::printf("%s\n", profile.dump(2).c_str());
        return 0;
    }
    if (!args.incarnation_given) {
        // No disk state in the lab: the wall clock in ms is a floor that only grows, so a
        // restarted node outbids every incarnation its previous life used (unless it refuted
        // more than ~1000 times per second, or the clock stepped back).
        args.config.incarnation =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
    }
    Driver d(args.config);
    std::string err;
    if (!d.bind(&err)) {
        print_line({{"ts", wall_now()}, {"type", "error"}, {"message", err}});
        std::fprintf(stderr, "gossip-node: %s\n", err.c_str());
        return 3;
    }
    std::fprintf(stderr, "gossip-node %s: %s listening on %s (profile %s)\n", gossip::kVersion,
                 args.config.id.c_str(), args.config.bind.to_string().c_str(),
                 args.config.profile.c_str());
    d.run();
    return 0;
}
