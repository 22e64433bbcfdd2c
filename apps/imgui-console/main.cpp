// secconsole: the operator console (docs/console.md). Flags: options.hpp (`secconsole --help`).
#include <GLFW/glfw3.h>
#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <stb/stb_image_write.h>

#include <chrono>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "options.hpp"
#include "synthetic.hpp"
#include "views.hpp"

namespace {

double now_s() {
    static const auto t0 = std::chrono::steady_clock::now();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

const char* default_program =
    "# XDP filter: drop UDP to port 9 (the flood's discard port), pass the rest\n"
    "# r1 = struct xdp_md*: data at +0, data_end at +4\n"
    "ldxw %r2, [%r1]\n"
    "ldxw %r3, [%r1+4]\n"
    "mov %r4, %r2\n"
    "add %r4, 38\n"
    "jgt %r4, %r3, pass\n"
    "ldxb %r5, [%r2+23]\n"
    "jne %r5, 17, pass\n"
    "ldxh %r6, [%r2+36]\n"
    "jne %r6, 0x0900, pass\n"
    "mov %r0, 1\n"
    "exit\n"
    "pass:\n"
    "mov %r0, 2\n"
    "exit\n";

bool save_screenshot(const std::string& path, int w, int h) {
    std::vector<unsigned char> px(static_cast<std::size_t>(w) * h * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
    stbi_flip_vertically_on_write(1);  // OpenGL's origin is bottom-left
    return stbi_write_png(path.c_str(), w, h, 4, px.data(), w * 4) != 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const console::options_result parsed = console::parse_options(args, std::getenv("SECCTL_KEY"));
    if (parsed.help) {
        std::printf("%s", console::help_text().c_str());
        return 0;
    }
    if (!parsed.ok()) {
        std::fprintf(stderr, "secconsole: %s\n", parsed.error.c_str());
        return console::exit_usage;
    }
    const console::options& o = parsed.opt;
    const auto& key = o.key;

    console::app app;
    for (const auto& a : o.appliances) {
        const std::string& spec = a.text;
        auto n = std::make_unique<console::node>();
        n->ep.host = console::ipv4_text(a.ip);
        n->ep.port = a.port;
        n->ep.netdev = o.netdev;
        n->ep.key = key;
        n->ep.channel = static_cast<std::uint8_t>(o.channel);
        n->model.name = spec;
        n->link = console::open_link(n->ep, n->link_error);
        if (n->link) {
            auto* m = &n->model;
            n->link->on_telemetry = [m](const console::wire::header& h, std::span<const std::byte> p) { m->ingest(h, p, now_s()); };
            if (o.subscribe) {
                console::controller c(*n->link, n->model);
                if (!c.subscribe(1000)) std::fprintf(stderr, "secconsole: %s: subscribe: %s\n", spec.c_str(), n->model.changes.back().outcome.c_str());
                c.refresh_config();
            }
        } else {
            std::fprintf(stderr, "secconsole: %s: %s\n", spec.c_str(), n->link_error.c_str());
        }
        app.nodes.push_back(std::move(n));
    }
    if (o.synthetic) {
        for (int k = 0; k < 3; ++k) {
            auto n = std::make_unique<console::node>();
            n->model.name = "synthetic-" + std::to_string(k + 1);
            n->link_error = "synthetic data (no link)";
            console::feed_synthetic(n->model, 42 + k, 120, k == 0 ? 100000 : 500);
            app.nodes.push_back(std::move(n));
        }
    }
    if (!o.sink.empty()) app.sink_spec = o.sink;
    app.studio.source = default_program;
    app.studio.assemble_and_verify();
    if (!o.ebpf.empty()) {
        // .s: assembler text; .o: clang-compiled object; .c: compiled with clang first.
        app.object_path = o.ebpf;
        const auto ends = [&](const char* x) { return o.ebpf.size() > 2 && o.ebpf.compare(o.ebpf.size() - 2, 2, x) == 0; };
        if (ends(".o")) app.studio.load_object(o.ebpf);
        else if (ends(".c")) {
            std::string obj;
            app.studio.compile_c(o.ebpf, obj);
        } else if (FILE* f = std::fopen(o.ebpf.c_str(), "r")) {
            std::string text;
            char buf[4096];
            std::size_t n;
            while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
            std::fclose(f);
            app.studio.source = text;
            app.studio.assemble_and_verify();
        }
    }
    if (o.tab >= 0) app.requested = static_cast<console::tab>(o.tab);

    // Scripted changes (the same controller calls as the SDN tab's and the studio's buttons).
    for (auto& n : app.nodes) {
        if (!n->link) continue;
        console::controller c(*n->link, n->model);
        for (const std::uint16_t port : o.block)
            c.block_port({console::wire::l4_protocol::tcp, console::wire::traffic_direction::inbound, port}, true);
        if (o.upload && app.studio.verified) c.upload(app.studio.program_id, app.studio.code, app.studio.maps);
    }
    if (o.generate.scenario >= 0) {
        app.gen.kind = static_cast<console::scenario>(o.generate.scenario);
        app.gen.rate_pps = o.generate.pps;
        app.gen.duration_s = o.generate.seconds;
        std::string err;
        app.sink = console::open_sink(app.sink_spec, err);
        if (!app.sink || !app.gen.start(app.sink.get(), now_s(), 0)) {
            std::fprintf(stderr, "secconsole: --generate: %s\n", app.sink ? app.gen.status.c_str() : err.c_str());
            return 1;
        }
        if (o.tab < 0) app.requested = console::tab::traffic;
    }
    if (o.null) {
        // ImGui's core without a platform or renderer: the UI logic runs, nothing is drawn.
        ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = ImVec2(static_cast<float>(o.width), static_cast<float>(o.height));
        console::setup_style(o.scale);
        unsigned char* px;
        int w, h;
        io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
        const int frames = o.frames < 0 ? 60 : o.frames;
        for (int f = 0; f < frames; ++f) {
            io.DeltaTime = 1.0f / 60;
            // Paced like a 60 Hz display when appliances are attached, so telemetry arrives meanwhile.
            if (!o.appliances.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(16));
            app.poll(now_s());
            ImGui::NewFrame();
            console::draw(app, now_s());
            ImGui::Render();
        }
        std::printf("secconsole: %d frames without a window, tab %s, %zu appliance(s)\n", frames,
                    console::tab_names[static_cast<int>(app.active)], app.nodes.size());
        if (o.generate.scenario >= 0)
            std::printf("  generator: %s; sent %llu frames, %llu send errors\n", app.gen.status.c_str(),
                        static_cast<unsigned long long>(app.gen.sent), static_cast<unsigned long long>(app.gen.send_errors));
        for (const auto& n : app.nodes) {
            const auto& m = n->model;
            for (const auto& ch : m.changes)
                std::printf("  change: %-40s %s %s (config v%u)\n", ch.what.c_str(), ch.ok ? "OK" : "FAILED", ch.outcome.c_str(),
                            ch.config_version);
            std::printf("  %s: %s, boot %016llx, %llu telemetry messages, %zu alerts, received %llu, %zu changes%s%s\n",
                        m.name.c_str(), n->link ? n->link->describe_endpoint().c_str() : n->link_error.c_str(),
                        static_cast<unsigned long long>(n->link ? n->link->boot_id() : 0),
                        static_cast<unsigned long long>(m.telemetry_messages), m.alerts.size(),
                        static_cast<unsigned long long>(m.last ? m.last->received : 0), m.changes.size(),
                        m.changes.empty() ? "" : ", last: ", m.changes.empty() ? "" : (m.changes.back().what + " -> " + m.changes.back().outcome).c_str());
            std::printf("    [%s]%s%s\n", m.freshness_text(now_s()).c_str(), n->link ? " " : "",
                        n->link ? console::silence_reason(m.fresh(now_s()), n->link->refused()).c_str() : "");
            if (n->link)
                for (std::size_t e = 0; e < console::wire::wire_error_count; ++e)
                    if (n->link->refused()[e])
                        std::printf("    refused %s: %llu\n", std::string(console::wire::name(static_cast<console::wire::wire_error>(e))).c_str(),
                                    static_cast<unsigned long long>(n->link->refused()[e]));
        }
        ImGui::DestroyContext();
        return 0;
    }

    if (!glfwInit()) {
        std::fprintf(stderr, "secconsole: no display (glfwInit failed); try --null or xvfb-run\n");
        return 1;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    GLFWwindow* win = glfwCreateWindow(o.width, o.height, "secengine console", nullptr, nullptr);
    if (!win) {
        std::fprintf(stderr, "secconsole: cannot create an OpenGL 3 window\n");
        glfwTerminate();
        return 1;
    }
    glfwMakeContextCurrent(win);
    glfwSwapInterval(o.frames > 0 ? 0 : 1);
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    console::setup_style(o.scale);
    ImGui_ImplGlfw_InitForOpenGL(win, true);
    // Tab/arrows/Space/Enter reach every widget (needs the backend's key map, hence not in --null).
    ImGui::GetIO().ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    ImGui_ImplOpenGL3_Init("#version 130");
    int frame = 0;
    int rc = 0;
    while (!glfwWindowShouldClose(win)) {
        glfwPollEvents();
        app.poll(now_s());
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGui::NewFrame();
        console::draw(app, now_s());
        ImGui::Render();
        int fw, fh;
        glfwGetFramebufferSize(win, &fw, &fh);
        glViewport(0, 0, fw, fh);
        glClearColor(0.08f, 0.09f, 0.11f, 1);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        ++frame;
        if (o.frames > 0 && !o.appliances.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(16));
        if (o.frames > 0 && frame >= o.frames) {
            if (!o.screenshot.empty()) {
                if (save_screenshot(o.screenshot, fw, fh)) std::printf("secconsole: wrote %s (%dx%d)\n", o.screenshot.c_str(), fw, fh);
                else rc = 1;
            }
            break;
        }
        glfwSwapBuffers(win);
    }
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(win);
    glfwTerminate();
    return rc;
}
