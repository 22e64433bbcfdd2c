#include "state_image.hpp"

#include <cstdio>
#include <cstring>

#include "address_text.hpp"

namespace secengine::host {

bool image_flash::program(std::size_t offset, std::span<const std::uint32_t> words) noexcept {
    if (offset % 4 != 0 || offset > mem.size() || words.size() > (mem.size() - offset) / 4) return false;
    for (std::size_t i = 0; i < words.size(); ++i)
        for (std::size_t k = 0; k < 4; ++k) mem[offset + 4 * i + k] &= static_cast<std::byte>(words[i] >> (8 * k));
    return true;
}

bool image_flash::erase(std::size_t block) noexcept {
    if (block >= blocks()) return false;
    std::memset(mem.data() + block * bsize, 0xff, bsize);
    return true;
}

bool parse_cidr(std::string_view token, std::uint32_t& ip, std::uint8_t& prefix, std::string& err) {
    const auto slash = token.find('/');
    const std::string_view addr = token.substr(0, slash);
    std::uint32_t a = 0;
    if (slash == std::string_view::npos || !parse_ipv4(addr, a)) {
        err = "--ip wants A.B.C.D/N, got '" + std::string(token) + "'";
        return false;
    }
    const std::string_view n = token.substr(slash + 1);
    unsigned p = 0;
    if (n.empty() || n.size() > 2) {
        err = "--ip prefix must be 0..32, got '" + std::string(n) + "'";
        return false;
    }
    for (const char c : n) {
        if (c < '0' || c > '9') {
            err = "--ip prefix must be 0..32, got '" + std::string(n) + "'";
            return false;
        }
        p = p * 10 + static_cast<unsigned>(c - '0');
    }
    if (p > 32) {
        err = "--ip prefix must be 0..32, got '" + std::string(n) + "'";
        return false;
    }
    if (a == 0 || a == 0xffffffffu) {
        err = "--ip address must be a host address, got '" + std::string(addr) + "'";
        return false;
    }
    ip = a;
    prefix = static_cast<std::uint8_t>(p);
    return true;
}

bool provision_state_image(const std::string& path, const secengine::store::boot_config& cfg, std::string& err) {
    namespace st = secengine::store;
    image_flash img;
    st::state_store<image_flash> s(img);
    if (s.open(cfg) != st::store_error::not_provisioned) {
        err = "internal: a fresh image is not blank";
        return false;
    }
    const st::store_error e = s.reset(cfg);
    if (e != st::store_error::none) {
        err = "cannot write the base record: " + std::string(st::name(e));
        return false;
    }
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        err = path + ": " + std::strerror(errno);
        return false;
    }
    const bool ok = std::fwrite(img.mem.data(), 1, img.mem.size(), f) == img.mem.size();
    const bool closed = std::fclose(f) == 0;
    if (!ok || !closed) {
        err = path + ": write failed: " + std::strerror(errno);
        return false;
    }
    return true;
}

}  // namespace secengine::host
