import Testing
@testable import ChatTemplate

/// Templates come from downloaded files: whatever they hold must end in an error, not a crash, a
/// hang or exhausted memory.
@Suite struct HostileTemplateTests {
    static func refused(_ source: String, _ vars: [String: TemplateValue] = [:]) -> Bool {
        do {
            _ = try ChatTemplate(source).render(vars)
            return false
        } catch is TemplateError {
            return true
        } catch {
            return false
        }
    }

    @Test func deepNestingIsRefused() {
        #expect(Self.refused("{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}"))
        #expect(Self.refused("{{ " + String(repeating: "not ", count: 5000) + "x }}"))
        #expect(Self.refused("{{ " + String(repeating: "-", count: 5000) + "1 }}"))
        #expect(Self.refused("{{ 1" + String(repeating: " + 1", count: 5000) + " }}"))
        #expect(Self.refused(String(repeating: "{% if true %}", count: 500) + String(repeating: "{% endif %}", count: 500)))
    }

    @Test func runawayWorkIsRefused() {
        #expect(Self.refused("{% for i in range(1000000000) %}x{% endfor %}"))
        #expect(Self.refused("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"))
        #expect(Self.refused("{{ 'x' * 10000000000 }}"))
        #expect(Self.refused("{{ [1, 2] * 100000000 }}"))
    }

    @Test func integerOverflowIsAnErrorNotATrap() throws {
        #expect(Self.refused("{{ 9223372036854775807 + 1 }}"))
        #expect(Self.refused("{{ 3037000500 * 3037000500 }}"))
        #expect(Self.refused("{{ 2 ** 64 }}"))
        #expect(Self.refused("{{ 99999999999999999999 }}"))
        #expect(Self.refused("{{ -9223372036854775807 - 2 }}"))
        #expect(try ChatTemplate("{{ 2 ** 62 }} {{ -7 // 2 }} {{ 7 // -2 }} {{ -7 % 3 }}").render([:]) == "4611686018427387904 -4 -4 2")
    }

    @Test func malformedTagsAreRefused() {
        for s in ["{{ x", "{% if x %}", "{% for %}", "{% endfor %}", "{{ 'open }}", "{% set %}", "{{ a b }}", "{{ x[ }}", "{% macro m() %}{% endmacro %}",
                  "{{ x | nosuchfilter }}", "{{ x is nosuchtest }}", "{{ undefined_thing.attr }}", "{{ raise_exception('no') }}", "{{ nosuchfunc() }}"] {
            #expect(Self.refused(s), "\(s)")
        }
    }
}
