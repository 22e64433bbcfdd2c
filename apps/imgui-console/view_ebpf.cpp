// Console views, the eBPF studio tab: assemble + verify with source-line errors, load, map counters.
#include "view_tabs.hpp"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include <secengine/verdict.hpp>

#include "view_widgets.hpp"

namespace console::view {

void draw_ebpf(app& a, node* n) {
    auto& s = a.studio;
    if (ImGui::Button("Assemble + verify (Ctrl+B)") ||
        (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed('B', false)))  // 1.86: GLFW key codes, letters are ASCII
        s.assemble_and_verify();
    ImGui::SameLine();
    if (ImGui::Checkbox("appliance's slot", &s.appliance_limits)) s.verify();  // appliance_fit.hpp
    ImGui::SameLine();
    ImGui::BeginDisabled(!s.verified || !n || !n->link);
    if (ImGui::Button("Upload")) {
        controller c(*n->link, n->model);
        result r;
        c.upload(s.program_id, s.code, s.maps, &r);
        s.status = "upload: " + r.describe();
        if (r.type == wire::msg_type::ack && r.ack.result == wire::status::verifier_rejected) {
            s.bad_pc = r.ack.detail;
            s.bad_line = line_of_pc(s.source, r.ack.detail);
        }
    }
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::SetNextItemWidth(90);
    ImGui::InputScalar("program id", ImGuiDataType_U32, &s.program_id);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(260);
    ImGui::InputTextWithHint("##obj", "prog.o or prog.c", &a.object_path);
    ImGui::SameLine();
    if (ImGui::Button("Load .o")) s.load_object(a.object_path);
    ImGui::SameLine();
    if (ImGui::Button("Compile C")) {
        std::string obj;
        s.compile_c(a.object_path, obj);
    }
    ImGui::TextColored(s.verified ? ImVec4(0.4f, 0.9f, 0.4f, 1) : ImVec4(1, 0.5f, 0.4f, 1), "%s", s.status.c_str());
    if (ImGui::BeginTable("ebpf", 3, ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV)) {
        ImGui::TableNextColumn();
        ImGui::TextUnformatted("Source (ubpf assembler syntax)");
        ImGui::InputTextMultiline("##src", &s.source, ImVec2(-1, ImGui::GetContentRegionAvail().y * 0.6f),
                                  ImGuiInputTextFlags_AllowTabInput);
        ImGui::TextUnformatted("Lines (failing line highlighted)");
        if (ImGui::BeginChild("lines", ImVec2(0, 0), true)) {
            std::istringstream in(s.source);
            std::string l;
            std::size_t no = 0;
            while (std::getline(in, l)) {
                ++no;
                if (no == s.bad_line) ImGui::TextColored(ImVec4(1, 0.3f, 0.3f, 1), ">> %3zu  %s", no, l.c_str());
                else ImGui::Text("   %3zu  %s", no, l.c_str());
                if (no == s.bad_line && ImGui::IsWindowAppearing()) ImGui::SetScrollHereY();
            }
        }
        ImGui::EndChild();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted("Disassembly (pc: insn)");
        if (ImGui::BeginChild("dis", ImVec2(0, 0), true)) {
            std::istringstream in(s.disassembly);
            std::string l;
            std::uint32_t pc = 0;
            while (std::getline(in, l)) {
                const bool bad = !s.verified && pc == s.bad_pc && !s.code.empty();
                if (bad) ImGui::TextColored(ImVec4(1, 0.3f, 0.3f, 1), "%4u: %s", pc, l.c_str());
                else ImGui::Text("%4u: %s", pc, l.c_str());
                pc += l.rfind("lddw", 0) == 0 ? 2 : 1;
            }
        }
        ImGui::EndChild();
        ImGui::TableNextColumn();
        ImGui::Text("Maps (%zu declared)", s.maps.size());
        for (std::size_t i = 0; i < s.maps.size(); ++i)
            ImGui::BulletText("map %zu: %s key %u value %u max %u", i, s.maps[i].type == wire::map_type::hash ? "hash" : "array",
                              s.maps[i].key_size, s.maps[i].value_size, s.maps[i].max_entries);
        if (n && n->model.maps) {
            const auto& mc = *n->model.maps;
            ImGui::Text("live: program %u, %llu runs, %llu insns", mc.program_id, static_cast<unsigned long long>(mc.runs),
                        static_cast<unsigned long long>(mc.instructions));
            for (std::size_t i = 0; i < mc.counters.count; ++i)
                ImGui::Text("map %u [%u] = %llu", mc.counters.items[i].map_id, mc.counters.items[i].key,
                            static_cast<unsigned long long>(mc.counters.items[i].value));
        } else {
            ImGui::TextDisabled("no map_counters telemetry yet");
        }
        ImGui::EndTable();
    }
}

}  // namespace console::view
