// Applying faults, and the read-backs of the network around each one.
#include "nemesis.hpp"

#include <signal.h>

#include <algorithm>

namespace gossiplab::harness {

using nlohmann::json;

Nemesis::Nemesis(boost::asio::io_context& ioc, Network& net, Nodes& nodes, Recorder& rec)
    : ioc_(ioc), net_(net), nodes_(nodes), rec_(rec) {
    for (const auto& id : nodes_.ids()) faults_[id];
}

// -- the network ------------------------------------------------------------------------------

// Reads back what the network has in force and what it counted, into the history, right
// after each network fault ("after"), and right before the next one and at the end
// ("before", closing the interval, so that packets counted while a change is applied
// are not blamed on the configuration before it): faults_landed compares it with what
// was configured.
void Nemesis::observe(const char* when) {
    faults_seen_ = true;
    try {
        json links = net_.observe();
        if (!links.is_null())
            rec_.action(ActionType::observe, -1, {{"when", when}, {"links", std::move(links)}});
    } catch (const std::exception& e) {
        rec_.action(ActionType::error, -1, {{"op", "observe"}, {"message", e.what()}});
    }
}

void Nemesis::before_network_fault() {
    if (faults_seen_) observe("before");
}

void Nemesis::close_interval() {
    before_network_fault();
}

void Nemesis::baseline(const netem::LinkShape& shape) {
    try {
        net_.shape(Links{}, shape);
        rec_.action(ActionType::shape, 0,
                    {{"links", "all"}, {"shape", netem::to_json(shape)}, {"baseline", true}});
        observe("after");
    } catch (const std::exception& e) {
        rec_.action(ActionType::error, 0,
                    {{"message", std::string("baseline shape: ") + e.what()}});
    }
}

void Nemesis::partition(double planned, const op::Partition& p) {
    before_network_fault();
    net_.set_grudge(p.grudge);
    rec_.action(ActionType::partition, planned, op_fields(p));
    ++active_partitions_;
    observe("after");
}

void Nemesis::heal(double planned) {
    before_network_fault();
    net_.heal();
    rec_.action(ActionType::heal, planned);
    active_partitions_ = 0;
    active_clogs_ = 0;
    observe("after");
}

void Nemesis::clog(double planned, const op::Clog& c) {
    before_network_fault();
    net_.clog(c.node);
    rec_.action(ActionType::clog, planned, op_fields(op::Clog(c)));
    ++active_clogs_;
    observe("after");
}

void Nemesis::unclog(double planned, const op::Unclog& c) {
    before_network_fault();
    net_.unclog(c.node);
    rec_.action(ActionType::unclog, planned, op_fields(op::Unclog(c)));
    active_clogs_ = std::max(0, active_clogs_ - 1);
    observe("after");
}

void Nemesis::shape(double planned, const op::Shape& s) {
    before_network_fault();
    net_.shape(s.links, s.shape);
    rec_.action(ActionType::shape, planned, op_fields(s));
    ++active_shapes_;
    observe("after");
}

void Nemesis::clear(double planned, const op::Clear& c) {
    before_network_fault();
    net_.clear(c.links);
    rec_.action(ActionType::clear, planned, op_fields(c));
    active_shapes_ = 0;
    observe("after");
}

// -- nodes ------------------------------------------------------------------------------------

void Nemesis::kill(const std::string& id, double planned) {
    bool running = nodes_.running(id);
    rec_.action(ActionType::kill, planned, {{"node", id}, {"was_running", running}});
    if (running) {
        nodes_.expect_exit(id);
        nodes_.signal(id, SIGKILL);
    }
}

void Nemesis::pause(const std::string& id, double planned) {
    Faults& f = of(id);
    rec_.action(ActionType::pause, planned, {{"node", id}});
    nodes_.signal(id, SIGSTOP);
    f.paused = true;
}

void Nemesis::resume(const std::string& id, double planned) {
    Faults& f = of(id);
    rec_.action(ActionType::resume, planned, {{"node", id}});
    f.paused = false;
    nodes_.signal(id, SIGCONT);
}

void Nemesis::restart(const std::string& id, double planned, bool reset) {
    json fields = {{"node", id}};
    if (reset) fields["reset_incarnation"] = true;
    rec_.action(ActionType::restart, planned, std::move(fields));
    nodes_.kill_now(id);
    nodes_.start(id, planned, true, reset);
}

void Nemesis::leave(const std::string& id, double planned) {
    rec_.action(ActionType::leave, planned, {{"node", id}});
    nodes_.expect_exit(id);
    nodes_.send(id, {{"cmd", "leave"}});
}

void Nemesis::starve_start(const std::string& id, double planned, double share, double period) {
    Starve& s = of(id).starve;
    rec_.action(ActionType::starve_start, planned,
                {{"node", id}, {"method", "duty_cycle"}, {"share", share}, {"period", period}});
    s.on = true;
    s.share = share;
    s.period = period;
    s.timer = std::make_unique<boost::asio::steady_timer>(ioc_);
    starve_cycle(id, true);
}

void Nemesis::starve_stop(const std::string& id, double planned) {
    rec_.action(ActionType::starve_stop, planned, {{"node", id}});
    stop_starving(id);
}

void Nemesis::stop_starving(const std::string& id) {
    Faults& f = of(id);
    if (!f.starve.on) return;
    f.starve.on = false;
    if (f.starve.timer) f.starve.timer->cancel();
    if (!f.paused) nodes_.signal(id, SIGCONT);
}

// One phase of the duty cycle: stopped for (1 - share) of the period, running for the rest.
// A paused node stays stopped; the cycle goes on so that it resumes starving after a resume.
void Nemesis::starve_cycle(const std::string& id, bool stopped_phase) {
    Faults& f = of(id);
    if (!f.starve.on || !nodes_.running(id)) return;
    double run_s = f.starve.share * f.starve.period;
    double stop_s = f.starve.period - run_s;
    if (!f.paused) nodes_.signal(id, stopped_phase ? SIGSTOP : SIGCONT);
    f.starve.timer->expires_after(RunClock::secs(stopped_phase ? stop_s : run_s));
    f.starve.timer->async_wait([this, id, stopped_phase](auto ec) {
        if (!ec) starve_cycle(id, !stopped_phase);
    });
}

void Nemesis::on_exit(const std::string& id) {
    of(id).paused = false;
    stop_starving(id);
}

void Nemesis::release(const std::string& id) {
    stop_starving(id);
    if (of(id).paused) nodes_.signal(id, SIGCONT);
}

std::string Nemesis::describe() const {
    std::string out;
    if (active_partitions_) out += " partition";
    if (active_clogs_) out += " clogged:" + std::to_string(active_clogs_);
    if (active_shapes_) out += " shaped";
    for (const auto& [id, f] : faults_) {
        if (f.paused) out += " paused:" + id;
        if (f.starve.on) out += " starved:" + id;
    }
    return out;
}

}  // namespace gossiplab::harness
