// The public face of the cloud client: ClientLoop::create (the settings checked, the engine
// started) and make_cloud_client.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "net/client/engine.hpp"
#include "net/client/proxy.hpp"

namespace ringoverbot::net {

namespace {

// The ClientLoop its users hold: when the last of them lets go, the engine stops (its loop
// thread may keep the engine itself a little longer).
class LoopFacade final : public ClientLoop {
  public:
    explicit LoopFacade(std::shared_ptr<client_detail::ClientEngine> engine)
        : engine_(std::move(engine)) {}
    ~LoopFacade() override { engine_->shutdown(); }
    std::unique_ptr<providers::Request> http(HttpRequest request,
                                             std::shared_ptr<HttpHandler> handler) override {
        return engine_->http(std::move(request), std::move(handler));
    }
    std::unique_ptr<WsConnection> websocket(WsRequest request,
                                            std::shared_ptr<WsHandler> handler) override {
        return engine_->websocket(std::move(request), std::move(handler));
    }
    std::vector<ErrorCount> error_counts() const override {
        return engine_->counters().error_counts();
    }
    std::uint64_t requests(std::string_view p) const override {
        return engine_->counters().requests(p);
    }
    std::uint64_t retries(std::string_view p) const override {
        return engine_->counters().retries(p);
    }
    std::uint64_t reused_connections(std::string_view p) const override {
        return engine_->counters().reused_connections(p);
    }
    std::string mask(std::string_view text) const override { return engine_->mask(text); }
    Status host_in(lws_context* ctx) override { return engine_->host_in(ctx); }
    void unhost() override { engine_->unhost(); }

  private:
    std::shared_ptr<client_detail::ClientEngine> engine_;
};

}  // namespace

Result<std::shared_ptr<ClientLoop>> ClientLoop::create(ClientConfig config) {
    if (!config.ca_file.empty()) {
        std::FILE* f = std::fopen(config.ca_file.c_str(), "rb");
        if (f == nullptr)
            return Error{Errc::invalid_argument,
                         "cannot read the CA file " + config.ca_file + ": " + std::strerror(errno)};
        std::string head(65536, '\0');
        head.resize(std::fread(head.data(), 1, head.size(), f));
        std::fclose(f);
        if (head.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
            return Error{Errc::invalid_argument,
                         "the CA file " + config.ca_file + " holds no PEM certificate"};
    }
    std::string proxy_host;
    std::uint16_t proxy_port = 0;
    if (!config.https_proxy.empty()) {
        auto proxy = client_detail::parse_proxy(config.https_proxy);
        if (!proxy) return proxy.error();
        proxy_host = proxy->first;
        proxy_port = proxy->second;
    }
    auto engine = std::make_shared<client_detail::ClientEngine>(std::move(config),
                                                                std::move(proxy_host), proxy_port);
    auto started = engine->start();
    if (!started) return started.error();
    return std::shared_ptr<ClientLoop>(std::make_shared<LoopFacade>(std::move(engine)));
}

Result<std::shared_ptr<providers::CloudClient>> make_cloud_client(CloudClientConfig config) {
    auto loop = ClientLoop::create(std::move(config));
    if (!loop) return loop.error();
    return std::shared_ptr<providers::CloudClient>(std::move(*loop));
}

}  // namespace ringoverbot::net
