"""Conformance cases for package jinja.

Each case is a dict: name (unique, "group/sub/case"), template, context (JSON text, so key
order and int-versus-float reach Python's json.loads and Go's jinja.DecodeJSON alike), and
optionally mode ("json", "url" or "header") for cases whose Python output is also the
expected output in that mode, and templates (in-memory templates for include/import).
gen.py renders every case with Python Jinja2 3.1 and writes expected.json.
"""

CASES = []


def case(name, template, context="{}", mode=None, templates=None, unsupported=False):
    c = {"name": name, "template": template, "context": context}
    if mode is not None:
        c["mode"] = mode
    if templates is not None:
        c["templates"] = templates
    if unsupported:
        c["unsupported"] = True
    CASES.append(c)


def group(prefix, items, context="{}"):
    """Adds (suffix, template) or (suffix, template, context) items under one prefix."""
    for item in items:
        if len(item) == 2:
            case(prefix + "/" + item[0], item[1], context)
        else:
            case(prefix + "/" + item[0], item[1], item[2])


USERS = (
    '{"users": ['
    '{"name": "Ann", "age": 31, "city": "Oslo", "active": true, "email": "ann@example.com"}, '
    '{"name": "bob", "age": 25, "city": "Bergen", "active": false, "email": null}, '
    '{"name": "Cleo", "age": 40, "city": "Oslo", "active": true, "email": "cleo@example.com"}, '
    '{"name": "dan", "age": 25, "city": "Aarhus", "active": true}'
    "]}"
)
ORDERED = '{"d": {"zeta": 1, "alpha": 2.5, "mid": "x", "nested": {"b": [1, "two"], "a": null}}}'
TICKET = (
    '{"ticket": {"url": "https://aaaa.com/api/v2/tickets/388.json", "id": 388, '
    '"priority": "low", "status": "open", "external_id": null, "score": 4.0, '
    '"tags": ["vip", "billing"], "via": {"channel": "web", "source": {"rel": null}}}}'
)

# --- literals -------------------------------------------------------------------------
group("literal/int", [
    ("zero", "{{ 0 }}"),
    ("positive", "{{ 42 }}"),
    ("negative", "{{ -7 }}"),
    ("underscore", "{{ 1_000_000 }}"),
    ("large", "{{ 1000000000000000000 }}"),
    ("hex", "{{ 0x1F }}"),
    ("octal", "{{ 0o17 }}"),
    ("binary", "{{ 0b101 }}"),
])
group("literal/float", [
    ("simple", "{{ 2.5 }}"),
    ("whole", "{{ 388.0 }}"),
    ("tenth", "{{ 0.1 }}"),
    ("exp_big", "{{ 1e20 }}"),
    ("exp_small", "{{ 1e-5 }}"),
    ("exp_upper", "{{ 1E3 }}"),
    ("exp_neg_frac", "{{ 1.5e-7 }}"),
    ("small_plain", "{{ 0.0001 }}"),
    ("small_plain2", "{{ 0.00012 }}"),
    ("sixteen_digits", "{{ 1234567890123456.0 }}"),
    ("seventeen_digits", "{{ 12345678901234567.0 }}"),
    ("e15", "{{ 1e15 }}"),
    ("e16", "{{ 1e16 }}"),
    ("neg_zero", "{{ -0.0 }}"),
    ("underscore", "{{ 1_000.5 }}"),
    ("third", "{{ 1/3 }}"),
    ("sum_tenths", "{{ 0.1 + 0.2 }}"),
    ("many_digits", "{{ 3.141592653589793 }}"),
    ("leading_dot", "{{ .5 }}"),
])
group("literal/string", [
    ("single", "{{ 'hello' }}"),
    ("double", '{{ "hello" }}'),
    ("escape_newline", r"{{ 'a\nb' }}"),
    ("escape_tab", r"{{ 'a\tb' }}"),
    ("escape_quote_single", r"{{ 'it\'s' }}"),
    ("escape_quote_double", r'{{ "say \"hi\"" }}'),
    ("escape_backslash", r"{{ 'back\\slash' }}"),
    ("escape_hex", r"{{ '\x41\x42' }}"),
    ("escape_u4", r"{{ '\u00e9t\u00e9' }}"),
    ("escape_u8", r"{{ '\U0001F600' }}"),
    ("escape_octal", r"{{ '\101' }}"),
    ("escape_unknown_kept", r"{{ 'a\db' }}"),
    ("non_ascii_raw", "{{ 'Café “quoted”' }}"),
    ("other_quote_inside", "{{ \"it's\" }}"),
    ("braces_inside", "{{ '}}' }}"),
    ("block_tag_inside", "{{ '{% x %}' }}"),
    ("multiline", "{{ 'a\nb' }}"),
    ("adjacent", "{{ 'a' 'b' }}"),
    ("empty", "{{ '' }}x"),
])
group("literal/const", [
    ("true", "{{ true }}"),
    ("True", "{{ True }}"),
    ("false", "{{ false }}"),
    ("False", "{{ False }}"),
    ("none", "{{ none }}"),
    ("None", "{{ None }}"),
    ("TRUE_is_undefined", "[{{ TRUE }}]"),
])
group("literal/list", [
    ("ints", "{{ [1, 2, 3] }}"),
    ("mixed", "{{ [1, 'a', none, true, 1.5, 2.0] }}"),
    ("empty", "{{ [] }}"),
    ("nested", "{{ [[1, [2]], []] }}"),
    ("single_quote_in_string", "{{ [\"it's\"] }}"),
    ("double_quote_in_string", "{{ ['say \"hi\"'] }}"),
    ("both_quotes", r"""{{ ["both ' and \""] }}"""),
    ("newline_in_string", r"{{ ['a\nb', 'tab\t'] }}"),
    ("backslash_in_string", r"{{ ['a\\b'] }}"),
    ("control_char", r"{{ ['\x00\x1f\x7f'] }}"),
    ("non_ascii", "{{ ['é', 'ü', '日本'] }}"),
    ("emoji", "{{ ['😀'] }}"),
    ("nbsp_escaped", r"{{ ['a\xa0b'] }}"),
    ("zero_width_escaped", r"{{ ['a\u200bb'] }}"),
    ("trailing_comma", "{{ [1, 2,] }}"),
])
group("literal/tuple", [
    ("pair", "{{ (1, 'a') }}"),
    ("single", "{{ (1,) }}"),
    ("empty", "{{ () }}"),
    ("paren_only", "{{ (1) }}"),
    ("bare", "{% set t = 1, 2 %}{{ t }}"),
])
group("literal/dict", [
    ("simple", "{{ {'a': 1} }}"),
    ("order_kept", "{{ {'z': 1, 'a': 2, 'm': 3} }}"),
    ("nested", "{{ {'k': [1, {'x': none}], 'q': \"it's\"} }}"),
    ("empty", "{{ {} }}"),
    ("int_key", "{{ {1: 'one', 2: 'two'} }}"),
    ("double_quoted_key", '{{ {"a": "b"} }}'),
    ("duplicate_key", "{{ {'a': 1, 'b': 2, 'a': 3} }}"),
])

# --- printing context values ----------------------------------------------------------
group("print/context", [
    ("int", "{{ n }}", '{"n": 388}'),
    ("float_whole", "{{ n }}", '{"n": 388.0}'),
    ("float_frac", "{{ n }}", '{"n": 2.5}'),
    ("float_exp", "{{ n }}", '{"n": 1e20}'),
    ("float_exp_int_mantissa", "{{ n }}", '{"n": 1e2}'),
    ("float_small", "{{ n }}", '{"n": 0.00001}'),
    ("float_neg_zero", "{{ n }}", '{"n": -0.0}'),
    ("int_neg_zero", "{{ n }}", '{"n": -0}'),
    ("int_negative", "{{ n }}", '{"n": -42}'),
    ("int64_max", "{{ n }}", '{"n": 9223372036854775807}'),
    ("float_precise", "{{ n }}", '{"n": 0.30000000000000004}'),
    ("null", "{{ v }}", '{"v": null}'),
    ("true", "{{ v }}", '{"v": true}'),
    ("false", "{{ v }}", '{"v": false}'),
    ("string", "{{ v }}", '{"v": "text"}'),
    ("string_unicode_escape", "{{ v }}", '{"v": "caf\\u00e9 \\ud83d\\ude00"}'),
    ("string_crlf_kept", "[{{ v }}]", '{"v": "a\\r\\nb"}'),
    ("list", "{{ v }}", '{"v": [1, 2.0, "x", null, true, {"k": "v"}]}'),
    ("object_order", "{{ d }}", ORDERED),
    ("object_nested_repr", "{{ d.nested }}", ORDERED),
    ("object_quotes_repr", "{{ v }}", '{"v": {"q": "it\'s", "d": "say \\"hi\\"", "b": "x\\\\y"}}'),
    ("duplicate_keys", "{{ v }}", '{"v": {"a": 1, "b": 2, "a": 3}}'),
    ("empty_object", "{{ v }}", '{"v": {}}'),
    ("empty_list", "{{ v }}", '{"v": []}'),
    ("undefined_empty", "[{{ missing }}]"),
    ("undefined_attr_of_defined", "[{{ d.missing }}]", ORDERED),
    ("undefined_item_of_defined", "[{{ d['missing'] }}]", ORDERED),
    ("index_out_of_range", "[{{ v[5] }}]", '{"v": [1]}'),
    ("none_attr", "[{{ v.x }}]", '{"v": null}'),
    ("string_attr", "[{{ v.x }}]", '{"v": "abc"}'),
    ("int_attr", "[{{ v.x }}]", '{"v": 3}'),
])

# --- attribute and subscript access ---------------------------------------------------
group("access", [
    ("dot", "{{ ticket.status }}", TICKET),
    ("dot_int", "{{ ticket.id }}", TICKET),
    ("dot_float", "{{ ticket.score }}", TICKET),
    ("dot_null", "{{ ticket.external_id }}", TICKET),
    ("deep", "{{ ticket.via.source.rel }}", TICKET),
    ("subscript", "{{ ticket['priority'] }}", TICKET),
    ("subscript_space_key", "{{ v['b c'] }}", '{"v": {"b c": "spaced"}}'),
    ("subscript_dash_key", "{{ v['x-y'] }}", '{"v": {"x-y": "dashed"}}'),
    ("subscript_var", "{% set k = 'status' %}{{ ticket[k] }}", TICKET),
    ("list_index", "{{ ticket.tags[0] }}", TICKET),
    ("list_index_negative", "{{ ticket.tags[-1] }}", TICKET),
    ("list_dot_index", "{{ ticket.tags.0 }}", TICKET),
    ("list_of_objects", "{{ users[1].name }}", USERS),
    ("chain_subscripts", "{{ v['a']['b'][1] }}", '{"v": {"a": {"b": [10, 20]}}}'),
    ("string_index", "{{ 'héllo'[1] }}"),
    ("string_negative_index", "{{ 'hello'[-1] }}"),
    ("key_named_items_subscript", "{{ v['items'] }}", '{"v": {"items": "mine"}}'),
    ("key_named_keys_subscript", "{{ v['keys'] }}", '{"v": {"keys": [1]}}'),
    ("undefined_attr_error", "{{ missing.attr }}"),
    ("undefined_item_error", "{{ missing[0] }}"),
    ("undefined_nested_error", "{{ ticket.nope.deeper }}", TICKET),
    ("none_nested_error", "{{ ticket.external_id.x.y }}", TICKET),
    ("bool_key_subscript", "{{ {true: 'yes'}[1] }}"),
])
group("slice", [
    ("string", "{{ 'hello'[1:3] }}"),
    ("string_open_end", "{{ 'hello'[2:] }}"),
    ("string_open_start", "{{ 'hello'[:2] }}"),
    ("string_negative", "{{ 'hello'[-3:] }}"),
    ("string_step", "{{ 'abcdef'[::2] }}"),
    ("string_reverse", "{{ 'héllo'[::-1] }}"),
    ("list", "{{ [1, 2, 3, 4][1:3] }}"),
    ("list_reverse", "{{ [1, 2, 3][::-1] }}"),
    ("list_out_of_range", "{{ [1, 2, 3][5:9] }}"),
    ("list_negative_step", "{{ [1, 2, 3, 4, 5][4:0:-2] }}"),
    ("context_list", "{{ ticket.tags[:1] }}", TICKET),
    ("tuple", "{{ (1, 2, 3)[1:] }}"),
    ("zero_step_error", "{{ [1, 2][::0] }}"),
])

# --- operators ------------------------------------------------------------------------
group("op/arith", [
    ("add_int", "{{ 1 + 2 }}"),
    ("add_float", "{{ 1 + 1.0 }}"),
    ("sub", "{{ 5 - 7 }}"),
    ("mul", "{{ 6 * 7 }}"),
    ("mul_float", "{{ 0.1 * 3 }}"),
    ("div_exact", "{{ 10 / 2 }}"),
    ("div_frac", "{{ 7 / 2 }}"),
    ("div_neg", "{{ -7 / 2 }}"),
    ("floordiv", "{{ 7 // 2 }}"),
    ("floordiv_neg", "{{ -7 // 2 }}"),
    ("floordiv_neg_divisor", "{{ 7 // -2 }}"),
    ("floordiv_float", "{{ -7.5 // 2 }}"),
    ("mod", "{{ 7 % 3 }}"),
    ("mod_neg", "{{ -7 % 3 }}"),
    ("mod_neg_divisor", "{{ 7 % -3 }}"),
    ("mod_float", "{{ 7.5 % 2 }}"),
    ("mod_float_neg", "{{ -7.5 % 2 }}"),
    ("pow", "{{ 2 ** 10 }}"),
    ("pow_negative_exp", "{{ 2 ** -1 }}"),
    ("pow_float", "{{ 2.0 ** 2 }}"),
    ("pow_sqrt", "{{ 2 ** 0.5 }}"),
    ("pow_left_assoc", "{{ 2 ** 3 ** 2 }}"),
    ("neg_pow", "{{ -2 ** 2 }}"),
    ("precedence", "{{ 2 + 3 * 4 - 6 / 3 }}"),
    ("parens", "{{ (2 + 3) * 4 }}"),
    ("unary_plus", "{{ +3 }}"),
    ("unary_neg_var", "{{ -n }}", '{"n": 5}'),
    ("double_neg", "{{ - -3 }}"),
    ("bool_arith", "{{ true + 1 }}"),
    ("context_mix", "{{ a * b }}", '{"a": 3, "b": 1.5}'),
    ("context_int_div", "{{ a / b }}", '{"a": 9, "b": 3}'),
    ("string_concat_plus", "{{ 'a' + 'b' }}"),
    ("string_repeat", "{{ 'ab' * 3 }}"),
    ("string_repeat_rev", "{{ 3 * 'ab' }}"),
    ("string_repeat_zero", "[{{ 'ab' * 0 }}]"),
    ("string_repeat_negative", "[{{ 'ab' * -2 }}]"),
    ("list_concat", "{{ [1, 2] + [3] }}"),
    ("list_repeat", "{{ [1, 'a'] * 2 }}"),
    ("big_int_mul", "{{ 1000000 * 1000000 }}"),
    ("float_inf", "{{ 1e308 * 10 }}"),
    ("float_neg_inf", "{{ -1e308 * 10 }}"),
    ("div_zero", "{{ 1 / 0 }}"),
    ("floordiv_zero", "{{ 1 // 0 }}"),
    ("mod_zero", "{{ 1 % 0 }}"),
    ("float_div_zero", "{{ 1.0 / 0 }}"),
    ("add_str_int_error", "{{ 'a' + 1 }}"),
    ("sub_str_error", "{{ 'a' - 'b' }}"),
    ("add_none_error", "{{ none + 1 }}"),
    ("add_undefined_error", "{{ missing + 1 }}"),
    ("add_list_str_error", "{{ [1] + 'a' }}"),
])
group("op/concat", [
    ("strings", "{{ 'a' ~ 'b' }}"),
    ("int", "{{ 1 ~ 2 }}"),
    ("float", "{{ 1.0 ~ '|' ~ 2.5 }}"),
    ("none", "{{ none ~ 'x' }}"),
    ("bool", "{{ true ~ false }}"),
    ("list", "{{ 'l=' ~ [1, 'a'] }}"),
    ("dict", "{{ 'd=' ~ {'a': 'b'} }}"),
    ("undefined", "{{ missing ~ 'x' }}"),
    ("precedence_add_error", "{{ 'a' ~ 1 + 2 }}"),
    ("precedence_filter", "{{ 'a' ~ 'b'|upper }}"),
    ("context", "{{ user.first ~ ' ' ~ user.last }}", '{"user": {"first": "Ada", "last": "Lovelace"}}'),
])
group("op/compare", [
    ("eq", "{{ 1 == 1 }}"),
    ("eq_int_float", "{{ 1 == 1.0 }}"),
    ("eq_bool_int", "{{ true == 1 }}"),
    ("ne", "{{ 1 != 2 }}"),
    ("lt", "{{ 1 < 2 }}"),
    ("le", "{{ 2 <= 2 }}"),
    ("gt", "{{ 'b' > 'a' }}"),
    ("ge", "{{ 1.5 >= 2 }}"),
    ("chained", "{{ 1 < 2 < 3 }}"),
    ("chained_false", "{{ 1 < 3 < 2 }}"),
    ("list_eq", "{{ [1, 2] == [1, 2] }}"),
    ("list_lt", "{{ [1, 2] < [1, 3] }}"),
    ("dict_eq_order", "{{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }}"),
    ("none_eq", "{{ none == none }}"),
    ("str_int_ne", "{{ '1' == 1 }}"),
    ("string_unicode_lt", "{{ 'é' > 'z' }}"),
    ("mixed_lt_error", "{{ 1 < 'a' }}"),
    ("none_lt_error", "{{ none < 1 }}"),
    ("context", "{{ ticket.id == 388 and ticket.score == 4 }}", TICKET),
    ("undefined_eq", "{{ missing == none }}"),
])
group("op/logic", [
    ("and", "{{ true and false }}"),
    ("or", "{{ false or true }}"),
    ("or_value", "{{ 0 or 'x' }}"),
    ("and_value", "{{ 'a' and 'b' }}"),
    ("or_none", "{{ '' or none }}"),
    ("or_empty_list", "{{ [] or 'empty' }}"),
    ("and_short_circuit", "{{ false and (1 / 0) }}"),
    ("or_short_circuit", "{{ true or (1 / 0) }}"),
    ("not", "{{ not '' }}"),
    ("not_precedence", "{{ not true == false }}"),
    ("not_in", "{{ not 1 in [1] }}"),
    ("undefined_or", "{{ missing or 'fallback' }}"),
    ("truthy_values", "{% for v in [0, 0.0, '', [], {}, none, false, 1, ' ', [0], {'a': 0}] %}{{ 'T' if v else 'F' }}{% endfor %}"),
])
group("op/in", [
    ("list", "{{ 2 in [1, 2] }}"),
    ("not_in_list", "{{ 3 not in [1, 2] }}"),
    ("substring", "{{ 'ell' in 'hello' }}"),
    ("dict_key", "{{ 'a' in {'a': 1} }}"),
    ("dict_value_not_key", "{{ 1 in {'a': 1} }}"),
    ("context_object", "{{ 'status' in ticket }}", TICKET),
    ("context_list", "{{ 'vip' in ticket.tags }}", TICKET),
    ("int_in_string_error", "{{ 1 in 'abc' }}"),
    ("in_undefined", "{{ 1 in missing }}"),
])
group("op/inline_if", [
    ("true", "{{ 'y' if true else 'n' }}"),
    ("false", "{{ 'y' if false else 'n' }}"),
    ("no_else", "[{{ 'y' if false }}]"),
    ("nested", "{{ 'a' if n > 2 else 'b' if n > 1 else 'c' }}", '{"n": 2}'),
    ("with_filter", "{{ (name if name else 'anon')|upper }}", '{"name": ""}'),
    ("undefined_cond", "{{ 'y' if missing else 'n' }}"),
    ("in_list", "{{ [1 if true else 2, 3] }}"),
])
group("op/filter_precedence", [
    ("neg_abs", "{{ -1|abs }}"),
    ("paren_abs", "{{ (-1)|abs }}"),
    ("add_length", "{{ 1 + 'abc'|length }}"),
    ("chain", "{{ ' Ab '|trim|lower|replace('a', 'x') }}"),
    ("on_literal_list", "{{ [3, 1, 2]|sort|first }}"),
])

# --- statements -----------------------------------------------------------------------
group("stmt/if", [
    ("true", "{% if true %}yes{% endif %}"),
    ("false", "[{% if false %}yes{% endif %}]"),
    ("else", "{% if n > 5 %}big{% else %}small{% endif %}", '{"n": 3}'),
    ("elif", "{% if n == 1 %}one{% elif n == 2 %}two{% elif n == 3 %}three{% else %}many{% endif %}", '{"n": 3}'),
    ("elif_else", "{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %}", '{"n": 9}'),
    ("nested", "{% if a %}{% if b %}ab{% else %}a{% endif %}{% endif %}", '{"a": 1, "b": 0}'),
    ("defined", "{% if ticket is defined %}{{ ticket.status }}{% endif %}", TICKET),
    ("undefined", "{% if fb is defined %}fb{% else %}none{% endif %}"),
    ("attr_defined", "{% if ticket.nope is defined %}y{% else %}n{% endif %}", TICKET),
    ("and_or", "{% if a and (b or c) %}y{% else %}n{% endif %}", '{"a": true, "b": false, "c": "x"}'),
    ("empty_list_false", "{% if items %}some{% else %}none{% endif %}", '{"items": []}'),
    ("unclosed", "{% if true %}x"),
    ("stray_endif", "x{% endif %}"),
    ("missing_condition", "{% if %}x{% endif %}"),
    ("else_after_else", "{% if a %}1{% else %}2{% else %}3{% endif %}"),
])
group("stmt/for", [
    ("list", "{% for x in [1, 2, 3] %}{{ x }},{% endfor %}"),
    ("string", "{% for c in 'héllo' %}{{ c }}.{% endfor %}"),
    ("object_keys_order", "{% for k in d %}{{ k }} {% endfor %}", ORDERED),
    ("items_order", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", ORDERED),
    ("values", "{% for v in d.values() %}{{ v }}|{% endfor %}", ORDERED),
    ("tuple_unpack", "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}"),
    ("tuple_unpack_parens", "{% for (a, b) in [(1, 2)] %}{{ a }}{{ b }}{% endfor %}"),
    ("unpack_mismatch", "{% for a, b in [[1, 2, 3]] %}{{ a }}{% endfor %}"),
    ("else_empty", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}"),
    ("else_nonempty", "{% for x in [1] %}{{ x }}{% else %}empty{% endfor %}"),
    ("undefined_iterable", "{% for x in missing %}{{ x }}{% else %}nothing{% endfor %}"),
    ("none_iterable_error", "{% for x in v %}{{ x }}{% endfor %}", '{"v": null}'),
    ("int_iterable_error", "{% for x in 5 %}{{ x }}{% endfor %}"),
    ("range", "{% for i in range(3) %}{{ i }}{% endfor %}"),
    ("nested", "{% for i in [1, 2] %}{% for j in 'ab' %}{{ i }}{{ j }} {% endfor %}{% endfor %}"),
    ("filter_clause", "{% for x in [1, 2, 3, 4] if x is even %}{{ x }}/{{ loop.length }} {% endfor %}"),
    ("filter_clause_else", "{% for x in [1, 3] if x is even %}{{ x }}{% else %}no evens{% endfor %}"),
    ("scope_not_leaking", "{% set x = 'outer' %}{% for i in [1] %}{% set x = 'inner' %}{{ x }}{% endfor %} {{ x }}"),
    ("loop_var_not_leaking", "{% for i in [1, 2] %}{% endfor %}[{{ i }}]"),
    ("users", "{% for u in users %}{{ u.name }}({{ u.age }}){% if not loop.last %}, {% endif %}{% endfor %}", USERS),
    ("break_unknown_tag", "{% for x in [1, 2] %}{% break %}{% endfor %}"),
    ("continue_unknown_tag", "{% for x in [1, 2] %}{% continue %}{% endfor %}"),
    ("unclosed", "{% for x in [1] %}{{ x }}"),
    ("missing_in", "{% for x [1] %}{{ x }}{% endfor %}"),
])
group("stmt/loop", [
    ("index", "{% for x in 'abc' %}{{ loop.index }}{% endfor %}"),
    ("index0", "{% for x in 'abc' %}{{ loop.index0 }}{% endfor %}"),
    ("revindex", "{% for x in 'abc' %}{{ loop.revindex }}{% endfor %}"),
    ("revindex0", "{% for x in 'abc' %}{{ loop.revindex0 }}{% endfor %}"),
    ("first_last", "{% for x in 'abc' %}{{ loop.first }}-{{ loop.last }} {% endfor %}"),
    ("length", "{% for x in 'abc' %}{{ loop.length }}{% endfor %}"),
    ("cycle", "{% for x in range(5) %}{{ loop.cycle('odd', 'even') }} {% endfor %}"),
    ("previtem_nextitem", "{% for x in [1, 2, 3] %}[{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}]{% endfor %}"),
    ("previtem_defined", "{% for x in [1, 2] %}{{ loop.previtem is defined }} {% endfor %}"),
    ("depth", "{% for x in [1] %}{{ loop.depth }}{{ loop.depth0 }}{% endfor %}"),
    ("nested_outer", "{% for a in [1, 2] %}{% set outer = loop %}{% for b in [1] %}{{ outer.index }}.{{ loop.index }} {% endfor %}{% endfor %}"),
    ("comma_join", "[{% for x in [1, 2, 3] %}{{ x }}{{ ', ' if not loop.last }}{% endfor %}]"),
    ("outside_loop_undefined", "[{{ loop }}]"),
    ("changed", "{% for x in [1, 1, 2, 2, 3] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}"),
])
group("stmt/set", [
    ("simple", "{% set x = 42 %}{{ x }}"),
    ("expression", "{% set x = n * 2 + 1 %}{{ x }}", '{"n": 4}'),
    ("overrides_context", "{% set n = 'mine' %}{{ n }}", '{"n": 4}'),
    ("tuple_unpack", "{% set a, b = 1, 'two' %}{{ a }} {{ b }}"),
    ("tuple_unpack_list", "{% set a, b = [3, 4] %}{{ b }}{{ a }}"),
    ("tuple_unpack_mismatch", "{% set a, b = [1] %}{{ a }}"),
    ("block", "{% set x %}hello {{ name }}{% endset %}[{{ x }}]", '{"name": "Ann"}'),
    ("block_filter", "{% set x | upper %}shout {{ 1 + 1 }}{% endset %}{{ x }}"),
    ("block_filter_chain", "{% set x | trim | title %}  two words  {% endset %}[{{ x }}]"),
    ("block_multiline", "{% set x %}\nline1\nline2\n{% endset %}[{{ x }}]"),
    ("reassign", "{% set x = 1 %}{% set x = x + 1 %}{{ x }}"),
    ("in_if", "{% if true %}{% set x = 'in-if' %}{% endif %}{{ x }}"),
    ("in_loop_no_accumulate", "{% set s = 'a' %}{% for i in range(3) %}{% set s = s ~ s %}{{ s|length }} {% endfor %}|{{ s|length }}"),
    ("list_value", "{% set xs = [1, 2] + [3] %}{{ xs|length }}"),
    ("missing_value", "{% set x = %}"),
    ("attr_target_not_namespace", "{% set d = {} %}{% set d.a = 1 %}{{ d }}"),
])
group("stmt/namespace", [
    ("counter", "{% set ns = namespace(count=0) %}{% for x in [1, 2, 3] %}{% set ns.count = ns.count + x %}{% endfor %}{{ ns.count }}"),
    ("found_flag", "{% set ns = namespace(found=false) %}{% for u in users %}{% if u.name == 'Cleo' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}", USERS),
    ("new_attr", "{% set ns = namespace() %}{% set ns.x = 'later' %}{{ ns.x }}"),
    ("from_dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}"),
    ("missing_attr", "{% set ns = namespace(a=1) %}[{{ ns.b }}]"),
    ("accumulate_list", "{% set ns = namespace(items=[]) %}{% for x in 'ab' %}{% set ns.items = ns.items + [x|upper] %}{% endfor %}{{ ns.items|join(',') }}"),
])
group("stmt/with", [
    ("simple", "{% with a = 1 %}{{ a }}{% endwith %}[{{ a }}]"),
    ("multiple", "{% with a = 1, b = a %}{{ a }}{{ b }}{% endwith %}", '{"a": "outer"}'),
    ("shadow", "{% set x = 'out' %}{% with x = 'in' %}{{ x }}{% endwith %} {{ x }}"),
    ("set_inside", "{% with %}{% set y = 5 %}{{ y }}{% endwith %}[{{ y }}]"),
    ("unclosed", "{% with a = 1 %}{{ a }}"),
])
group("stmt/macro", [
    ("simple", "{% macro greet(name) %}Hello {{ name }}!{% endmacro %}{{ greet('Ann') }}"),
    ("defaults", "{% macro m(a, b=2, c='x') %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 3) }} {{ m(1, c='y') }}"),
    ("missing_arg_undefined", "{% macro m(a, b) %}[{{ a }}|{{ b }}]{% endmacro %}{{ m(1) }}"),
    ("varargs", "{% macro m(a) %}{{ a }} {{ varargs }}{% endmacro %}{{ m(1, 2, 3) }}"),
    ("kwargs", "{% macro m() %}{{ kwargs }}{% endmacro %}{{ m(x=1, y='two') }}"),
    ("too_many_args", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}"),
    ("unknown_kwarg", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, z=2) }}"),
    ("context_visible", "{% macro m() %}{{ ticket.status }}{% endmacro %}{{ m() }}", TICKET),
    ("recursive", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}"),
    ("returns_string", "{% macro m() %}12{% endmacro %}{{ m() ~ 'x' }} {{ m()|int + 1 }}"),
    ("call_before_define", "{{ m() }}{% macro m() %}late{% endmacro %}"),
    ("in_loop", "{% macro li(x) %}<li>{{ x }}</li>{% endmacro %}{% for x in ['a', 'b'] %}{{ li(x) }}{% endfor %}"),
    ("whitespace", "{% macro m(x) %}\n  [{{ x }}]\n{% endmacro %}{{ m(1) }}{{ m(2) }}"),
    ("default_uses_arg", "{% macro m(a, b=a * 2) %}{{ b }}{% endmacro %}{{ m(4) }}"),
    ("name_attr", "{% macro hello() %}{% endmacro %}{{ hello.name }}"),
    ("caller_macro", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold{% endcall %}"),
    ("call_with_args", "{% macro each(xs) %}{% for x in xs %}{{ caller(x, loop.index) }}{% endfor %}{% endmacro %}{% call(item, i) each(['a', 'b']) %}{{ i }}:{{ item }} {% endcall %}"),
    ("call_twice", "{% macro twice() %}{{ caller() }}{{ caller() }}{% endmacro %}{% call twice() %}ab{% endcall %}"),
    ("call_sees_outer", "{% set who = 'world' %}{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}hi {{ who }}{% endcall %}"),
    ("caller_undefined_without_call", "{% macro m() %}{{ caller is defined }}{% endmacro %}{{ m() }}"),
    ("unclosed", "{% macro m() %}x"),
    ("bad_params", "{% macro m(1) %}x{% endmacro %}"),
])
group("stmt/filter_block", [
    ("upper", "{% filter upper %}hello {{ name }}{% endfilter %}", '{"name": "ann"}'),
    ("with_args", "{% filter replace('a', 'o') %}banana{% endfilter %}"),
    ("chain", "{% filter trim|upper %}  padded  {% endfilter %}|"),
    ("indent", "{% filter indent(2, true) %}a\nb{% endfilter %}"),
    ("unknown_filter", "{% filter nosuchfilter %}x{% endfilter %}"),
])
group("stmt/raw", [
    ("simple", "{% raw %}{{ x }}{% if %}{% endraw %}"),
    ("whitespace_control", "a {%- raw -%}  {{ y }}  {%- endraw -%} b"),
    ("with_comment_syntax", "{% raw %}{# not a comment #}{% endraw %}"),
    ("unclosed", "{% raw %}{{ x }}"),
])
group("stmt/comment", [
    ("simple", "a{# comment #}b"),
    ("multiline", "a{# line1\nline2 {{ x }} #}b"),
    ("trim", "a  {#- trimmed -#}  b"),
    ("unclosed", "a{# open"),
])
group("stmt/unknown", [
    ("tag", "{% frobnicate %}"),
    ("do_tag", "{% do x.append(1) %}"),
    ("endfor_without_for", "{% endfor %}"),
])

# --- whitespace -----------------------------------------------------------------------
group("ws", [
    ("trailing_newline_dropped", "hello\n"),
    ("only_one_trailing_newline_dropped", "hello\n\n"),
    ("leading_newline_kept", "\nhello"),
    ("crlf_normalized", "a\r\nb\r\n"),
    ("cr_normalized", "a\rb"),
    ("block_newlines_kept", "{% if true %}\nx\n{% endif %}\ny"),
    ("for_newlines_kept", "{% for i in [1, 2] %}\n- {{ i }}\n{% endfor %}\n"),
    ("trim_left_expr", "a   {{- 'b' }}"),
    ("trim_right_expr", "{{ 'a' -}}   \n  b"),
    ("trim_both_block", "x\n  {%- if true -%}\n  y\n  {%- endif -%}\n  z"),
    ("trim_for", "[\n{%- for i in [1, 2, 3] -%}\n  {{ i }}\n{%- endfor -%}\n]"),
    ("trim_set", "a\n{%- set x = 1 -%}\nb"),
    ("plus_no_effect", "a\n  {%+ if true %}b{% endif %}"),
    ("spaces_in_expr", "{{x}}|{{   x   }}", '{"x": 1}'),
    ("tabs_kept", "\t{{ 1 }}\t"),
    ("expr_newline_inside", "{{\n  1 +\n  2\n}}"),
    ("trim_only_whitespace", "a {{- ' ' -}} b"),
    ("trim_newlines_many", "a\n\n\n{{- 'b' -}}\n\n\nc"),
    ("raw_keeps_whitespace", "{% raw %}  {{ a }}  {% endraw %}"),
    ("macro_output_spaces", "{% macro m() -%}\n  inner\n{%- endmacro %}[{{ m() }}]"),
    ("data_newline_kept", "{{ v }}", '{"v": "x\\n"}'),
    ("final_newline_from_expr_kept", "{{ v }}", '{"v": "line\\n"}'),
    ("dash_in_expression_is_minus", "{{ 5 -2 }}"),
])

# --- filters --------------------------------------------------------------------------
group("filter/abs", [
    ("int", "{{ -3|abs }}{{ (-3)|abs }}"),
    ("float", "{{ v|abs }}", '{"v": -2.5}'),
    ("int_context", "{{ v|abs }}", '{"v": -7}'),
    ("string_error", "{{ 'x'|abs }}"),
])
group("filter/attr", [
    ("dict_key_is_not_attr", "[{{ v|attr('a') }}]", '{"v": {"a": 1}}'),
    ("string_missing", "[{{ 'abc'|attr('nope') }}]"),
])
group("filter/batch", [
    ("simple", "{{ [1, 2, 3, 4, 5]|batch(2)|list }}"),
    ("fill", "{{ [1, 2, 3]|batch(2, 'x')|list }}"),
    ("rows", "{% for row in 'abcdefg'|batch(3) %}{{ row|join }};{% endfor %}"),
])
group("filter/capitalize", [
    ("simple", "{{ 'hELLO wORLD'|capitalize }}"),
    ("unicode", "{{ 'élan VITAL'|capitalize }}"),
])
group("filter/center", [
    ("even", "[{{ 'ab'|center(6) }}]"),
    ("odd", "[{{ 'ab'|center(5) }}]"),
    ("default_width", "[{{ 'x'|center }}]"),
    ("too_short", "[{{ 'abcdef'|center(3) }}]"),
])
group("filter/count", [
    ("list", "{{ [1, 2, 3]|count }}"),
    ("string", "{{ 'héllo'|count }}"),
])
group("filter/default", [
    ("undefined", "{{ missing|default('dflt') }}"),
    ("defined", "{{ v|default('dflt') }}", '{"v": "val"}'),
    ("none_kept", "{{ v|default('dflt') }}", '{"v": null}'),
    ("empty_kept", "[{{ v|default('dflt') }}]", '{"v": ""}'),
    ("boolean_empty", "{{ v|default('dflt', true) }}", '{"v": ""}'),
    ("boolean_none", "{{ v|default('dflt', boolean=true) }}", '{"v": null}'),
    ("boolean_zero", "{{ 0|default('dflt', true) }}"),
    ("alias_d", "{{ missing|d('short') }}"),
    ("no_arg", "[{{ missing|default }}]"),
    ("attr_chain", "{{ ticket.nope|default(ticket.status) }}", TICKET),
    ("undefined_parent_error", "{{ missing.attr|default('x') }}"),
])
group("filter/dictsort", [
    ("by_key", "{{ v|dictsort }}", '{"v": {"b": 1, "a": 2, "C": 3}}'),
    ("case_sensitive", "{{ v|dictsort(true) }}", '{"v": {"b": 1, "a": 2, "C": 3}}'),
    ("by_value", "{{ v|dictsort(by='value') }}", '{"v": {"b": 1, "a": 3, "c": 2}}'),
    ("reverse", "{% for k, val in v|dictsort(reverse=true) %}{{ k }}{{ val }}{% endfor %}", '{"v": {"b": 1, "a": 3, "c": 2}}'),
])
group("filter/escape", [
    ("html", "{{ '<a href=\"x\">Tom & Jerry\\'s</a>'|escape }}"),
    ("alias_e", "{{ '<b>'|e }}"),
    ("non_string", "{{ 5|e }}"),
    ("none", "{{ none|e }}"),
])
group("filter/first_last", [
    ("first_list", "{{ [1, 2]|first }}"),
    ("first_string", "{{ 'héllo'|first }}"),
    ("first_empty", "[{{ []|first }}]"),
    ("last_list", "{{ [1, 2]|last }}"),
    ("last_string", "{{ 'héllo'|last }}"),
    ("last_object", "{{ d|last }}", ORDERED),
    ("first_object", "{{ d|first }}", ORDERED),
])
group("filter/float", [
    ("string", "{{ '3.5'|float }}"),
    ("int", "{{ 3|float }}"),
    ("invalid", "{{ 'x'|float }}"),
    ("invalid_default", "{{ 'x'|float(1.5) }}"),
    ("exponent", "{{ '1e3'|float }}"),
    ("spaces", "{{ ' 2.25 '|float }}"),
    ("inf", "{{ 'inf'|float }}"),
    ("nan", "{{ 'nan'|float }}"),
    ("none", "{{ none|float }}"),
    ("bool", "{{ true|float }}"),
])
group("filter/int", [
    ("string", "{{ '42'|int }}"),
    ("float_string", "{{ '4.7'|int }}"),
    ("float", "{{ 3.9|int }}{{ -3.9|int }}"),
    ("invalid", "{{ 'x'|int }}"),
    ("invalid_default", "{{ 'x'|int(-1) }}"),
    ("base16", "{{ '0x1A'|int(0, 16) }}"),
    ("base2", "{{ '101'|int(base=2) }}"),
    ("spaces", "{{ '  12 '|int }}"),
    ("exponent", "{{ '1e3'|int }}"),
    ("bool", "{{ true|int }}"),
    ("none", "{{ none|int }}"),
    ("undefined", "{{ missing|int }}"),
    ("underscore", "{{ '1_000'|int }}"),
])
group("filter/items", [
    ("loop", "{% for k, v in d|items %}{{ k }}:{{ v }} {% endfor %}", ORDERED),
    ("list", "{{ {'a': 1}|items|list }}"),
    ("undefined", "[{% for k, v in missing|items %}x{% endfor %}]"),
])
group("filter/join", [
    ("simple", "{{ [1, 2, 3]|join(', ') }}"),
    ("no_sep", "{{ ['a', 'b']|join }}"),
    ("attribute", "{{ users|join(', ', attribute='name') }}", USERS),
    ("mixed", "{{ [1, none, 'x', 2.0]|join('|') }}"),
    ("string", "{{ 'abc'|join('-') }}"),
    ("object_keys", "{{ d|join(',') }}", ORDERED),
])
group("filter/length", [
    ("list", "{{ [1, 2]|length }}"),
    ("string_unicode", "{{ 'héllo wörld'|length }}"),
    ("emoji", "{{ '😀👍🏽'|length }}"),
    ("object", "{{ d|length }}", ORDERED),
    ("undefined", "{{ missing|length }}"),
    ("int_error", "{{ 5|length }}"),
])
group("filter/list", [
    ("string", "{{ 'abc'|list }}"),
    ("object", "{{ d|list }}", ORDERED),
    ("tuple", "{{ (1, 2)|list }}"),
])
group("filter/lower_upper", [
    ("lower", "{{ 'HeLLo'|lower }}"),
    ("upper", "{{ 'HeLLo'|upper }}"),
    ("lower_unicode", "{{ 'ÀÉÎÕÜ ΣΑΣ'|lower }}"),
    ("upper_unicode", "{{ 'àéîõü straße'|upper }}"),
    ("upper_ligature", "{{ 'ﬁne'|upper }}"),
    ("lower_dotted_i", "{{ 'İ'|lower|length }}"),
    ("upper_number", "{{ 5|upper }}"),
])
group("filter/map", [
    ("attribute", "{{ users|map(attribute='name')|list }}", USERS),
    ("attribute_default", "{{ users|map(attribute='email', default='-')|list }}", USERS),
    ("filter", "{{ ['1', '2']|map('int')|list }}"),
    ("filter_args", "{{ ['a-b', 'c-d']|map('replace', '-', '+')|join(' ') }}"),
    ("upper", "{{ ['x', 'y']|map('upper')|join }}"),
    ("nested_attribute", "{{ v|map(attribute='a.b')|list }}", '{"v": [{"a": {"b": 1}}, {"a": {"b": 2}}]}'),
    ("index_attribute", "{{ v|map(attribute='0')|list }}", '{"v": [[1, 2], [3, 4]]}'),
])
group("filter/max_min", [
    ("max", "{{ [3, 1, 2]|max }}"),
    ("min", "{{ [3, 1, 2]|min }}"),
    ("max_strings_case", "{{ ['a', 'B', 'c']|max }}"),
    ("min_strings_case_sensitive", "{{ ['a', 'B', 'c']|min(case_sensitive=true) }}"),
    ("max_attribute", "{{ (users|max(attribute='age')).name }}", USERS),
    ("min_attribute", "{{ (users|min(attribute='age')).name }}", USERS),
    ("empty", "[{{ []|max }}]"),
    ("mixed_numbers", "{{ [1, 2.5, 2]|max }}"),
])
group("filter/pprint", [
    ("dict_sorted", "{{ {'b': 1, 'a': [1, 2]}|pprint }}"),
    ("string", "{{ 'x'|pprint }}"),
    ("none", "{{ none|pprint }}"),
    ("long_list_wraps", "{{ range(30)|list|pprint }}"),
])
group("filter/select_reject", [
    ("select_test", "{{ [1, 2, 3, 4]|select('odd')|list }}"),
    ("select_arg", "{{ [1, 2, 3, 4]|select('gt', 2)|list }}"),
    ("select_truthy", "{{ [0, 1, '', 'a', none]|select|list }}"),
    ("reject_test", "{{ [1, 2, 3, 4]|reject('odd')|list }}"),
    ("reject_none", "{{ [1, none, 2]|reject('none')|list }}"),
    ("select_in", "{{ ['a', 'b', 'c']|select('in', ['a', 'c'])|list }}"),
    ("select_divisibleby", "{{ range(10)|select('divisibleby', 3)|join(',') }}"),
    ("unknown_test", "{{ [1]|select('nosuchtest')|list }}"),
])
group("filter/selectattr", [
    ("truthy", "{{ users|selectattr('active')|map(attribute='name')|join(',') }}", USERS),
    ("test", "{{ users|selectattr('age', 'gt', 30)|map(attribute='name')|join(',') }}", USERS),
    ("equalto", "{{ users|selectattr('city', 'equalto', 'Oslo')|list|length }}", USERS),
    ("eq_op", "{{ users|selectattr('age', '==', 25)|map(attribute='name')|join(',') }}", USERS),
    ("rejectattr", "{{ users|rejectattr('active')|map(attribute='name')|join(',') }}", USERS),
    ("rejectattr_none", "{{ users|rejectattr('email', 'none')|map(attribute='name')|join(',') }}", USERS),
    ("defined", "{{ users|selectattr('email', 'defined')|map(attribute='name')|join(',') }}", USERS),
])
group("filter/replace", [
    ("simple", "{{ 'Hello World'|replace('Hello', 'Goodbye') }}"),
    ("count", "{{ 'aaaa'|replace('a', 'b', 2) }}"),
    ("empty_old", "{{ 'abc'|replace('', '-') }}"),
    ("number", "{{ 1234|replace('2', 'x') }}"),
])
group("filter/reverse", [
    ("string", "{{ 'héllo'|reverse }}"),
    ("list", "{{ [1, 2, 3]|reverse|list }}"),
    ("join", "{{ ['a', 'b']|reverse|join }}"),
])
group("filter/round", [
    ("half_even_down", "{{ 2.5|round }}"),
    ("half_even_up", "{{ 3.5|round }}"),
    ("half_zero", "{{ 0.5|round }}"),
    ("negative_half", "{{ -2.5|round }}"),
    ("precision", "{{ 3.14159|round(2) }}"),
    ("binary_repr", "{{ 2.675|round(2) }}"),
    ("binary_repr2", "{{ 1.005|round(2) }}"),
    ("int_stays_int", "{{ 42|round }}"),
    ("int_negative_precision", "{{ 15|round(-1) }} {{ 25|round(-1) }}"),
    ("float_negative_precision", "{{ 1234.5678|round(-2) }}"),
    ("floor", "{{ 2.7|round(0, 'floor') }}"),
    ("ceil", "{{ 2.1|round(method='ceil') }}"),
    ("ceil_negative", "{{ -2.5|round(0, 'ceil') }}"),
    ("ceil_precision", "{{ 2.345|round(2, 'ceil') }}"),
    ("floor_precision", "{{ 2.349|round(2, 'floor') }}"),
    ("int_ceil", "{{ 42|round(1, 'ceil') }}"),
    ("then_int", "{{ 2.5|round|int }}"),
    ("context_whole_float", "{{ v|round }}", '{"v": 388.0}'),
    ("bad_method", "{{ 3.3|round(0, 'bogus') }}"),
    ("string_error", "{{ '2.5'|round }}"),
])
group("filter/safe_string", [
    ("safe", "{{ '<b>'|safe }}"),
    ("string_float", "{{ 1.0|string }}"),
    ("string_none", "{{ none|string }}"),
    ("string_list", "{{ [1, 'a']|string }}"),
    ("string_concat", "{{ (5|string) + 'x' }}"),
])
group("filter/slice", [
    ("three", "{{ range(1, 8)|slice(3)|list }}"),
    ("fill", "{{ range(1, 8)|slice(3, 0)|list }}"),
])
group("filter/sort", [
    ("ints", "{{ [3, 1, 2]|sort }}"),
    ("reverse", "{{ [3, 1, 2]|sort(reverse=true) }}"),
    ("strings_case_insensitive", "{{ ['b', 'a', 'C', 'A']|sort }}"),
    ("strings_case_sensitive", "{{ ['b', 'a', 'C', 'A']|sort(case_sensitive=true) }}"),
    ("attribute", "{{ users|sort(attribute='age')|map(attribute='name')|join(',') }}", USERS),
    ("attribute_multi", "{{ users|sort(attribute='age,name')|map(attribute='name')|join(',') }}", USERS),
    ("attribute_reverse_stable", "{{ users|sort(attribute='age', reverse=true)|map(attribute='name')|join(',') }}", USERS),
    ("floats_ints", "{{ [2, 1.5, -1, 0]|sort }}"),
    ("mixed_error", "{{ [1, 'a']|sort }}"),
    ("object_keys", "{{ d|sort }}", ORDERED),
])
group("filter/striptags", [
    ("simple", "{{ '<p>Hello  <b>world</b>\n x</p>'|striptags }}"),
    ("entities", "{{ 'a &amp; b &lt;c&gt;'|striptags }}"),
    ("comment", "{{ 'a<!-- hidden -->b'|striptags }}"),
])
group("filter/sum", [
    ("ints", "{{ [1, 2, 3]|sum }}"),
    ("floats", "{{ [0.1, 0.2]|sum }}"),
    ("mixed", "{{ [1, 2.5]|sum }}"),
    ("start", "{{ [1, 2]|sum(start=10) }}"),
    ("attribute", "{{ v|sum(attribute='price') }}", '{"v": [{"price": 9.99}, {"price": 5}, {"price": 0.01}]}'),
    ("empty", "{{ []|sum }}"),
    ("string_error", "{{ ['a']|sum }}"),
])
group("filter/title", [
    ("simple", "{{ 'hello world'|title }}"),
    ("apostrophe_filter", "{{ \"o'neil mcdonald-smith\"|title }}"),
    ("apostrophe_method", "{{ \"o'neil mcdonald-smith\".title() }}"),
    ("mixed_case", "{{ 'hELLO wORLD'|title }}"),
    ("unicode", "{{ 'élan vital über'|title }}"),
    ("brackets", "{{ '(hello) [world] <x>'|title }}"),
])
group("filter/tojson", [
    ("sorted_keys", "{{ {'b': 1, 'a': [1, 2.5, none, true]}|tojson }}"),
    ("html_safe", "{{ \"<a href='x'>&</a>\"|tojson }}"),
    ("non_ascii", "{{ 'Café'|tojson }}"),
    ("astral", "{{ '😀'|tojson }}"),
    ("escapes", "{{ 'a\nb\t\"q\" \\\\ /'|tojson }}"),
    ("control", "{{ '\x01\x1f\x7f'|tojson }}"),
    ("context_object_sorted", "{{ d|tojson }}", ORDERED),
    ("nested_sorted", "{{ v|tojson }}", '{"v": {"z": {"y": 1, "x": [{"b": 2, "a": 1}]}, "a": "é"}}'),
    ("int", "{{ 388|tojson }}"),
    ("float_whole", "{{ 388.0|tojson }}"),
    ("float_exp", "{{ 1e20|tojson }}"),
    ("float_small", "{{ 0.00001|tojson }}"),
    ("none", "{{ none|tojson }}"),
    ("bool", "{{ false|tojson }}"),
    ("string", "{{ 'plain'|tojson }}"),
    ("tuple", "{{ (1, 'a')|tojson }}"),
    ("int_keys", "{{ {2: 'b', 1: 'a'}|tojson }}"),
    ("indent", "{{ {'b': [1, 2], 'a': {}}|tojson(indent=2) }}"),
    ("infinity", "{{ 'inf'|float|tojson }}"),
    ("undefined_error", "{{ missing|tojson }}"),
    ("empty_containers", "{{ {'a': [], 'b': {}}|tojson }}"),
    ("line_separator", "{{ v|tojson }}", '{"v": "a\\u2028b"}'),
])
group("filter/trim", [
    ("spaces", "[{{ '  a b  '|trim }}]"),
    ("newlines_tabs", "[{{ '\n\ta\t\n'|trim }}]"),
    ("chars", "[{{ 'xxaxx'|trim('x') }}]"),
])
group("filter/truncate", [
    ("basic", "{{ 'foo bar baz qux'|truncate(9) }}"),
    ("words", "{{ 'Lorem ipsum dolor sit amet, consectetur adipiscing'|truncate(20) }}"),
    ("killwords", "{{ 'Lorem ipsum dolor sit amet, consectetur adipiscing'|truncate(20, true) }}"),
    ("end", "{{ 'Lorem ipsum dolor sit amet, consectetur adipiscing'|truncate(20, end='…') }}"),
    ("leeway_zero", "{{ 'foo bar baz qux'|truncate(11, leeway=0) }}"),
])
group("filter/unique", [
    ("ints", "{{ [1, 2, 1, 3, 2]|unique|list }}"),
    ("case_insensitive", "{{ ['a', 'A', 'b']|unique|list }}"),
    ("case_sensitive", "{{ ['a', 'A', 'b']|unique(case_sensitive=true)|list }}"),
    ("attribute", "{{ users|unique(attribute='city')|map(attribute='name')|join(',') }}", USERS),
])
group("filter/urlencode", [
    ("string", "{{ 'a b&c/é?'|urlencode }}"),
    ("dict", "{{ {'q': 'a b', 'n': 1, 'x': 'é/&'}|urlencode }}"),
    ("pairs", "{{ [['k', 'v 1'], ['z', 2]]|urlencode }}"),
    ("number", "{{ 42|urlencode }}"),
])
group("filter/wordcount_wrap", [
    ("wordcount", "{{ 'hello big  wide\nworld'|wordcount }}"),
    ("wordcount_punct", "{{ \"don't stop-me now!\"|wordcount }}"),
    ("wordwrap", "{{ 'The quick brown fox jumps over the lazy dog and keeps running'|wordwrap(20) }}"),
    ("wordwrap_long_word", "{{ 'abcdefghijklmnopqrstuvwxyz end'|wordwrap(10) }}"),
    ("wordwrap_no_break", "{{ 'abcdefghijklmnopqrstuvwxyz end'|wordwrap(10, false) }}"),
    ("wordwrap_wrapstring", "{{ 'aaa bbb ccc ddd'|wordwrap(8, wrapstring='<br>') }}"),
])
group("filter/xmlattr", [
    ("simple", "<p{{ {'class': 'a b', 'id': 'x', 'skip': none}|xmlattr }}>"),
    ("escaped", "<p{{ {'title': '\"<&>'}|xmlattr }}>"),
    ("no_autospace", "<p {{- {'a': 1}|xmlattr(false) }}>"),
    ("bad_key", "<p{{ {'a b': 1}|xmlattr }}>"),
])
group("filter/format", [
    ("positional", "{{ '%s is %d years'|format('Ann', 31) }}"),
    ("float", "{{ '%.2f'|format(3.14159) }}"),
    ("named", "{{ '%(a)s-%(b)s'|format(a=1, b=2) }}"),
])
group("filter/indent", [
    ("default", "{{ 'a\nb\nc'|indent }}"),
    ("first", "{{ 'a\nb'|indent(2, true) }}"),
    ("blank_lines", "{{ 'a\n\nb'|indent(2) }}|{{ 'a\n\nb'|indent(2, blank=true) }}"),
    ("string_width", "{{ 'a\nb'|indent('> ') }}"),
])
group("filter/groupby", [
    ("loop", "{% for g in users|groupby('city') %}{{ g.grouper }}: {{ g.list|map(attribute='name')|join(',') }}; {% endfor %}", USERS),
    ("unpack", "{% for city, us in users|groupby('city') %}{{ city }}={{ us|length }} {% endfor %}", USERS),
    ("int_key", "{% for age, us in users|groupby('age') %}{{ age }}:{{ us|length }} {% endfor %}", USERS),
    ("null_vs_string_error", "{% for k, us in users|groupby('email') %}{{ k }}{% endfor %}", USERS),
    ("default", "{% for k, us in users|groupby('nick', default='?') %}{{ k }}={{ us|length }} {% endfor %}", USERS),
    ("repr", "{{ [{'a': 1}, {'a': 1}]|groupby('a')|list }}"),
])
group("filter/misc", [
    ("unknown_filter", "{{ 1|nosuchfilter }}"),
    ("filter_missing_arg_error", "{{ 'a'|replace('a') }}"),
    ("filter_on_undefined_upper", "[{{ missing|upper }}]"),
    ("wordcount_undefined", "{{ missing|wordcount }}"),
])

# --- tests ----------------------------------------------------------------------------
group("test", [
    ("defined", "{{ ticket is defined }} {{ nope is defined }}", TICKET),
    ("undefined", "{{ nope is undefined }} {{ ticket.id is undefined }}", TICKET),
    ("not_defined", "{{ nope is not defined }}"),
    ("none", "{{ ticket.external_id is none }} {{ ticket.id is none }}", TICKET),
    ("number", "{{ 1 is number }} {{ 1.5 is number }} {{ '1' is number }} {{ true is number }}"),
    ("string", "{{ 'a' is string }} {{ 1 is string }} {{ none is string }}"),
    ("mapping", "{{ d is mapping }} {{ [1] is mapping }} {{ {} is mapping }}", ORDERED),
    ("iterable", "{{ [1] is iterable }} {{ 'a' is iterable }} {{ d is iterable }} {{ 1 is iterable }}", ORDERED),
    ("sequence", "{{ [1] is sequence }} {{ 'a' is sequence }} {{ d is sequence }} {{ 1 is sequence }}", ORDERED),
    ("boolean", "{{ true is boolean }} {{ 1 is boolean }}"),
    ("true_false", "{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }}"),
    ("integer", "{{ 1 is integer }} {{ 1.0 is integer }} {{ true is integer }}"),
    ("float", "{{ 1.0 is float }} {{ 1 is float }} {{ v is float }}", '{"v": 2.0}'),
    ("even_odd", "{{ 4 is even }} {{ 3 is odd }} {{ -3 is odd }} {{ 0 is even }}"),
    ("divisibleby", "{{ 9 is divisibleby 3 }} {{ 10 is divisibleby(3) }}"),
    ("eq_ne", "{{ 1 is eq 1 }} {{ 1 is ne 1 }} {{ 'a' is equalto 'a' }}"),
    ("lt_le_gt_ge", "{{ 1 is lt 2 }} {{ 2 is le 2 }} {{ 3 is gt 2 }} {{ 1 is ge 2 }}"),
    ("aliases", "{{ 1 is lessthan 2 }} {{ 3 is greaterthan 2 }} {{ 2 is ge(3) }}"),
    ("symbol_name_error", "{{ 2 is == 2 }}"),
    ("in", "{{ 2 is in [1, 2] }} {{ 'x' is in 'abc' }}"),
    ("lower_upper", "{{ 'abc' is lower }} {{ 'aBc' is lower }} {{ 'ABC' is upper }} {{ 'A1' is upper }}"),
    ("sameas", "{{ none is sameas none }} {{ true is sameas true }} {{ false is sameas 0 }}"),
    ("in_if", "{% if ticket.tags is sequence and ticket.tags is not string %}list{% endif %}", TICKET),
    ("undefined_value_tests", "{{ missing is none }} {{ missing is string }} {{ missing is iterable }}"),
    ("unknown_test", "{{ 1 is frobbed }}"),
    ("even_on_string_error", "{{ 'a' is even }}"),
])

# --- globals --------------------------------------------------------------------------
group("global/range", [
    ("stop", "{{ range(5)|list }}"),
    ("start_stop", "{{ range(2, 5)|list }}"),
    ("step", "{{ range(0, 10, 3)|list }}"),
    ("negative_step", "{{ range(5, 0, -2)|list }}"),
    ("empty", "{{ range(0)|list }}"),
    ("repr", "{{ range(3) }}"),
    ("length", "{{ range(10)|length }}"),
    ("zero_step", "{{ range(1, 2, 0)|list }}"),
    ("float_error", "{{ range(1.5)|list }}"),
])
group("global/dict", [
    ("kwargs", "{{ dict(a=1, b='x') }}"),
    ("empty", "{{ dict() }}"),
    ("order", "{% for k in dict(z=1, a=2) %}{{ k }}{% endfor %}"),
])
group("global/cycler", [
    ("next", "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}"),
    ("current", "{% set c = cycler(1, 2, 3) %}{{ c.current }}{{ c.next() }}{{ c.current }}"),
    ("in_loop", "{% set row = cycler('odd', 'even') %}{% for i in range(3) %}{{ row.next() }} {% endfor %}"),
    ("reset_method", "{% set c = cycler('x', 'y') %}{{ c.next() }}{{ c.reset() }}{{ c.next() }}"),
])
group("global/joiner", [
    ("default", "{% set j = joiner() %}{% for x in [1, 2, 3] %}{{ j() }}{{ x }}{% endfor %}"),
    ("custom", "{% set pipe = joiner(' | ') %}{% for x in 'abc' %}{{ pipe() }}{{ x }}{% endfor %}"),
])
group("global/namespace", [
    ("repr_attr", "{% set ns = namespace(a=1) %}{{ ns.a }}"),
])

# --- methods on str, dict and list ----------------------------------------------------
group("method/str", [
    ("upper_lower", "{{ 'MiXed'.upper() }} {{ 'MiXed'.lower() }}"),
    ("strip", "[{{ '  a  '.strip() }}]"),
    ("strip_chars", "[{{ 'xxaxx'.strip('x') }}]"),
    ("lstrip_rstrip", "[{{ '  a  '.lstrip() }}][{{ '  a  '.rstrip() }}]"),
    ("split_whitespace", "{{ ' a  b\tc\n'.split() }}"),
    ("split_sep", "{{ 'a,b,,c'.split(',') }}"),
    ("split_maxsplit", "{{ 'a-b-c'.split('-', 1) }}"),
    ("rsplit", "{{ 'a-b-c'.rsplit('-', 1) }}"),
    ("startswith", "{{ 'hello'.startswith('he') }} {{ 'hello'.startswith(('x', 'h')) }}"),
    ("endswith", "{{ 'hello'.endswith('lo') }} {{ 'hello'.endswith('x') }}"),
    ("replace", "{{ 'a.b.c'.replace('.', '/') }} {{ 'aaa'.replace('a', 'b', 1) }}"),
    ("title", "{{ 'hello wORLD'.title() }}"),
    ("capitalize", "{{ 'hELLO'.capitalize() }}"),
    ("count", "{{ 'banana'.count('a') }} {{ 'banana'.count('an') }}"),
    ("index", "{{ 'hello'.index('l') }}"),
    ("index_missing", "{{ 'hello'.index('z') }}"),
    ("find", "{{ 'hello'.find('l') }} {{ 'hello'.find('z') }}"),
    ("join", "{{ ', '.join(['a', 'b', 'c']) }}"),
    ("join_non_string_error", "{{ ','.join([1, 2]) }}"),
    ("on_context", "{{ name.upper() }}", '{"name": "ann"}'),
    ("chain", "{{ ' A,B '.strip().lower().split(',') }}"),
    ("isdigit", "{{ '123'.isdigit() }} {{ '12a'.isdigit() }}"),
    ("zfill", "{{ '42'.zfill(5) }}"),
    ("unicode_upper", "{{ 'straße'.upper() }}"),
    ("splitlines", "{{ 'a\nb\r\nc'.splitlines() }}"),
    ("on_undefined_error", "{{ missing.upper() }}"),
])
group("method/format", [
    ("positional", "{{ '{} and {}'.format(1, 'a') }}"),
    ("indexed", "{{ '{0}{1}{0}'.format('a', 'b') }}"),
    ("named", "{{ 'Hi {name}!'.format(name='Ann') }}"),
    ("float_precision", "{{ '{:.2f}'.format(3.14159) }}"),
    ("align", "[{{ '{:>5}'.format('a') }}][{{ '{:<5}'.format('a') }}][{{ '{:^5}'.format('a') }}]"),
    ("zero_pad", "{{ '{:05d}'.format(42) }}"),
    ("thousands", "{{ '{:,}'.format(1234567) }}"),
    ("repr", "{{ '{!r}'.format('a') }}"),
    ("float_default", "{{ '{}'.format(2.0) }} {{ '{}'.format(1e20) }}"),
    ("none_bool", "{{ '{} {}'.format(none, true) }}"),
    ("list", "{{ '{}'.format([1, 'a']) }}"),
    ("literal_braces", "{{ '{{}} {}'.format(1) }}"),
    ("percent", "{{ '{:.1%}'.format(0.256) }}"),
    ("missing_arg_error", "{{ '{} {}'.format(1) }}"),
    ("context_values", "{{ '{} is {}'.format(ticket.id, ticket.status) }}", TICKET),
])
group("method/percent", [
    ("s_d", "{{ '%s-%d' % ('a', 3) }}"),
    ("single_value", "{{ 'value: %s' % 42 }}"),
    ("float_precision", "{{ '%.2f' % 3.14159 }}"),
    ("width", "[{{ '%5s' % 'ab' }}][{{ '%-5s' % 'ab' }}]"),
    ("zero_pad", "{{ '%05d' % 42 }} {{ '%05.1f' % 2.25 }}"),
    ("hex", "{{ '%x %X %o' % (255, 255, 8) }}"),
    ("repr", "{{ '%r' % 'a' }}"),
    ("none", "{{ '%s' % none }}"),
    ("list_value", "{{ '%s' % [[1, 'a']] }}"),
    ("dict", "{{ '%(a)s and %(b)d' % {'a': 'x', 'b': 2} }}"),
    ("exponent", "{{ '%e' % 12345.678 }}"),
    ("general", "{{ '%g' % 0.00001 }} {{ '%g' % 123456789 }}"),
    ("percent_literal", "{{ '%d%%' % 50 }}"),
    ("float_as_s", "{{ '%s' % 1.0 }}"),
    ("d_truncates_float", "{{ '%d' % 3.9 }}"),
    ("i", "{{ '%i' % 7 }}"),
    ("precision_string", "{{ '%.3s' % 'abcdef' }}"),
    ("sign", "{{ '%+d %+d' % (5, -5) }}"),
    ("too_few_error", "{{ '%s %s' % ('a',) }}"),
    ("too_many_error", "{{ '%s' % (1, 2) }}"),
    ("bad_type_error", "{{ '%d' % 'x' }}"),
    ("round_half_even", "{{ '%.0f %.0f %.1f' % (0.5, 1.5, 0.25) }}"),
])
group("method/dict", [
    ("items", "{{ d.items()|list }}", ORDERED),
    ("items_repr", "{{ {'a': 1}.items() }}"),
    ("keys_list", "{{ d.keys()|list }}", ORDERED),
    ("keys_repr", "{{ {'a': 1, 'b': 2}.keys() }}"),
    ("values_list", "{{ d.values()|list }}", ORDERED),
    ("get", "{{ d.get('mid') }}", ORDERED),
    ("get_missing_none", "{{ d.get('nope') }}", ORDERED),
    ("get_default", "{{ d.get('nope', 'dflt') }}", ORDERED),
    ("get_literal", "{{ {'a': 1}.get('a') }}"),
    ("items_loop_literal", "{% for k, v in {'x': 1, 'y': [2]}.items() %}{{ k }}{{ v }}{% endfor %}"),
    ("len_keys", "{{ d.keys()|length }}", ORDERED),
])
group("method/list", [
    ("count", "{{ [1, 2, 1].count(1) }}"),
    ("index", "{{ ['a', 'b'].index('b') }}"),
    ("index_missing", "{{ ['a'].index('z') }}"),
    ("context", "{{ ticket.tags.index('billing') }}", TICKET),
])

# --- printing subtleties and unicode --------------------------------------------------
group("unicode", [
    ("upper_accents", "{{ 'crème brûlée'.upper() }}"),
    ("lower_greek_final_sigma", "{{ 'ΟΔΟΣ'|lower }}"),
    ("title_unicode_words", "{{ 'ñandú élite'|title }}"),
    ("length_combining", "{{ 'e\u0301'|length }}"),
    ("length_cjk", "{{ '日本語'|length }}"),
    ("slice_astral", "{{ 'a😀b'[1] }}"),
    ("reverse_astral", "{{ 'a😀b'|reverse }}"),
    ("center_unicode", "[{{ 'é'|center(5) }}]"),
    ("context_non_ascii", "{{ v }} {{ v|length }} {{ v|upper }}", '{"v": "Ærø “quote” ñ"}'),
    ("repr_non_ascii_dict", "{{ v }}", '{"v": {"clé": "välue", "emoji": "😀"}}'),
    ("wordcount_unicode", "{{ 'ça va très bien'|wordcount }}"),
    ("truncate_unicode", "{{ 'ééééé ééééé ééééé ééééé'|truncate(10, leeway=0) }}"),
    ("sort_unicode", "{{ ['é', 'e', 'z', 'E']|sort }}"),
    ("urlencode_emoji", "{{ '😀'|urlencode }}"),
    ("escape_non_ascii", "{{ '<é>'|e }}"),
])
group("undefined", [
    ("print", "[{{ nope }}]"),
    ("in_expression_concat", "[{{ nope ~ '' }}]"),
    ("iterate", "[{% for x in nope %}{{ x }}{% endfor %}]"),
    ("length", "{{ nope|length }}"),
    ("list", "{{ nope|list }}"),
    ("bool", "{{ nope is sameas false }} {{ not nope }}"),
    ("attr_error", "{{ nope.x }}"),
    ("item_error", "{{ nope['x'] }}"),
    ("call_error", "{{ nope() }}"),
    ("arith_error", "{{ nope * 2 }}"),
    ("compare_eq", "{{ nope == nope }}"),
    ("compare_lt_error", "{{ nope < 1 }}"),
    ("in_string", "{{ 'x' in nope }}"),
    ("default_filter", "{{ nope|default('d') }}"),
    ("join", "[{{ nope|join(',') }}]"),
    ("upper_method_error", "{{ nope.upper() }}"),
    ("set_from_undefined", "{% set x = nope %}[{{ x }}]"),
    ("format_arg", "{{ '%s|' % nope }}"),
    ("tojson_nested_error", "{{ [nope]|tojson }}"),
    ("string_filter", "[{{ nope|string }}]"),
    ("macro_arg", "{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(nope) }}"),
])
group("syntax", [
    ("unclosed_expression", "{{ 1 + "),
    ("empty_expression", "{{ }}"),
    ("dangling_operator", "{{ 1 + }}"),
    ("unclosed_paren", "{{ (1 + 2 }}"),
    ("unclosed_bracket", "{{ [1, 2 }}"),
    ("unclosed_string", "{{ 'abc }}"),
    ("filter_without_name", "{{ x| }}"),
    ("double_operator", "{{ 1 * * 2 }}"),
    ("bad_token", "{{ 1 $ 2 }}"),
    ("assignment_in_expression", "{{ x = 1 }}"),
    ("unexpected_block_end", "{{ 1 %}"),
    ("unclosed_block", "{% if true "),
    ("is_without_test", "{{ 1 is }}"),
    ("reserved_target", "{% set true = 1 %}"),
    ("trailing_garbage", "{{ 1 2 }}"),
    ("lone_close_braces_are_text", "a }} b %} c #}"),
    ("single_brace_text", "{ {x} }"),
    ("for_target_trailing_comma", "{% for a , in [[1]] %}{{ a }}{% endfor %}"),
    ("set_target_trailing_comma", "{% set a, = [5] %}{{ a }}"),
    ("underscore_number_forms", "{{ 1_0 }} {{ 0.0_1 }}"),
])

# --- realistic webhook templates ------------------------------------------------------
import json as _json
import os as _os

_HERE = _os.path.dirname(_os.path.abspath(__file__))
with open(_os.path.join(_HERE, "..", "bench", "seed_body.j2"), encoding="utf-8") as _f:
    SEED_BODY = _f.read()
with open(_os.path.join(_HERE, "..", "bench", "context.json"), encoding="utf-8") as _f:
    SEED_CONTEXT = _f.read()

case("webhook/seed000/bench_context", SEED_BODY, SEED_CONTEXT)
case("webhook/seed000/minimal", SEED_BODY,
     '{"certainly": {"sessionId": 1, "attachedMedia": "", "direction": "in", "reply": "hi", '
     '"botId": "b", "botDeploymentId": "d", "moduleId": 2, "to": "t", "from": "f", "botTrainedModelId": "m"}}')
case("webhook/seed000/with_fb", SEED_BODY,
     '{"fb": {"firstName": "Zoë", "lastName": "O\'Brien"}, "certainly": {"sessionId": 42, '
     '"replyData": {"value": "yes", "score": 0.5}, "attachedMedia": "", "direction": "in", '
     '"reply": "plain", "extractedData": {}, "customVariables": {"z": 1, "a": [1, 2.0]}, '
     '"botId": "b", "botDeploymentId": "d", "moduleId": 3, "to": "t", "from": "f", "botTrainedModelId": "m"}}')
case("webhook/seed000/empty_context", SEED_BODY)

ZENDESK_BODY = """{
  "ticket": {
    "subject": {{ subject|tojson }},
    "comment": {"body": {{ body|tojson }}, "public": {{ 'true' if public else 'false' }}},
    "priority": "{{ priority|default('normal') }}",
    "requester": {"name": {{ requester.name|tojson }}, "email": "{{ requester.email }}"},
    "tags": {{ tags|tojson }},
    "custom_fields": [{% for id, value in fields.items() %}{"id": {{ id }}, "value": {{ value|tojson }}}{{ "," if not loop.last }}{% endfor %}]
  }
}"""
ZENDESK_CONTEXT = (
    '{"subject": "Refund for order #1234", "body": "Hello,\\nI was charged twice – please help.\\n\\"Order\\" 1234 <urgent>", '
    '"public": false, "requester": {"name": "José Núñez", "email": "jose@example.com"}, '
    '"tags": ["refund", "billing"], "fields": {"360001": "order-1234", "360002": 2, "360003": null}}'
)
case("webhook/zendesk/create_ticket", ZENDESK_BODY, ZENDESK_CONTEXT)
case("webhook/zendesk/create_ticket_json_mode", ZENDESK_BODY, ZENDESK_CONTEXT, mode="json")
case("webhook/zendesk/url", "https://{{ subdomain }}.zendesk.com/api/v2/tickets/{{ ticket_id }}.json",
     '{"subdomain": "acme", "ticket_id": 388}', mode="url")
case("webhook/zendesk/search_url", "https://acme.zendesk.com/api/v2/search.json?query=type:ticket+status:{{ status }}&page={{ page }}",
     '{"status": "open", "page": 2}', mode="url")
case("webhook/zendesk/auth_header", "Basic {{ token }}", '{"token": "YWdlbnRAZXhhbXBsZS5jb20vdG9rZW46c2VjcmV0"}', mode="header")

HUBSPOT_BODY = """{"properties": [
{%- for key, value in contact.items() %}
  {"property": "{{ key }}", "value": {{ value|tojson }}}{% if not loop.last %},{% endif %}
{%- endfor %}
]}"""
HUBSPOT_CONTEXT = '{"contact": {"email": "ann@example.com", "firstname": "Ann", "lastname": "Lee", "age": 31, "vip": true, "score": 0.75}}'
case("webhook/hubspot/contact_properties", HUBSPOT_BODY, HUBSPOT_CONTEXT)
case("webhook/hubspot/contact_properties_json_mode", HUBSPOT_BODY, HUBSPOT_CONTEXT, mode="json")
case("webhook/hubspot/deal", """{
  "properties": {
    "dealname": "{{ company }} – {{ plan|upper }}",
    "amount": {{ (seats * price)|round(2) }},
    "pipeline": "default",
    "closedate": {{ close_ts }}
  }
}""", '{"company": "Acme", "plan": "pro", "seats": 5, "price": 19.99, "close_ts": 1735689600000}', mode="json")
case("webhook/hubspot/bearer_header", "Bearer {{ api_key }}", '{"api_key": "pat-na1-0b1c2d3e-4f5a"}', mode="header")
case("webhook/slack/message", """{"text": {{ ("New ticket *#" ~ ticket.id ~ "*: " ~ ticket.status|title)|tojson }},
 "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": {{ ("Tags: " ~ ticket.tags|join(", "))|tojson }}}}]}""", TICKET, mode="json")
case("webhook/generic/number_and_null", """{"id": {{ ticket.id }}, "score": {{ ticket.score }}, "ext": {{ ticket.external_id|tojson }}, "tags": {{ ticket.tags|tojson }}}""", TICKET, mode="json")
case("webhook/generic/conditional_field", """{"name": "{{ name }}"{% if email %}, "email": "{{ email }}"{% endif %}}""", '{"name": "Ann", "email": null}', mode="json")
case("webhook/generic/list_body", """[{% for u in users %}{"n": "{{ u.name }}", "a": {{ u.age }}}{{ ", " if not loop.last }}{% endfor %}]""", USERS, mode="json")
case("webhook/generic/query_param_value", "{{ q }}", '{"q": "vip-customers_2024"}', mode="url")

group("webhook/mapper", [
    ("ticket_status", "{{ticket.status}}", TICKET),
    ("ticket_id", "{{ticket.id}}", TICKET),
    ("ticket_score", "{{ ticket.score }}", TICKET),
    ("ticket_null", "{{ ticket.external_id }}", TICKET),
    ("ticket_tags", "{{ ticket.tags }}", TICKET),
    ("ticket_object", "{{ ticket.via }}", TICKET),
    ("ticket_url", "{{ ticket['url'] }}", TICKET),
    ("first_result", "{{ results[0].name }}", '{"results": [{"name": "first", "id": 1}, {"name": "second", "id": 2}]}'),
    ("ids", "{{ results|map(attribute='id')|list }}", '{"results": [{"name": "first", "id": 1}, {"name": "second", "id": 2}]}'),
    ("count", "{{ results|length }}", '{"results": [{"id": 1}, {"id": 2}]}'),
    ("surrounded", " {{ ticket.id }} ", TICKET),
    ("text_around", "Ticket {{ ticket.id }} is {{ ticket.status }}", TICKET),
    ("tojson_object", "{{ ticket.via|tojson }}", TICKET),
    ("bool", "{{ ticket.priority == 'low' }}", TICKET),
    ("missing_path", "[{{ ticket.assignee }}]", TICKET),
    ("nested_missing_error", "{{ ticket.assignee.name }}", TICKET),
    ("first_open", "{{ (tickets|selectattr('status', 'eq', 'open')|first).id }}", '{"tickets": [{"id": 1, "status": "closed"}, {"id": 2, "status": "open"}, {"id": 3, "status": "open"}]}'),
])
group("webhook/condition", [
    ("age_check", "{{ certainly.extractedData.age >= 18 }}", SEED_CONTEXT),
    ("plan_pro", "{% if certainly.extractedData.plan.name == 'pro' %}pro{% else %}free{% endif %}", SEED_CONTEXT),
    ("reply_contains", "{{ 'line' in certainly.reply }}", SEED_CONTEXT),
    ("reply_lower", "{{ certainly.reply|lower }}", SEED_CONTEXT),
    ("reply_length", "{{ certainly.reply|length }}", SEED_CONTEXT),
    ("reply_tojson", "{{ certainly.reply|tojson }}", SEED_CONTEXT),
    ("custom_vars_repr", "{{ certainly.customVariables }}", SEED_CONTEXT),
    ("custom_vars_items", "{% for k, v in certainly.customVariables.items() %}{{ k }}={{ v }}&{% endfor %}", SEED_CONTEXT),
])
group("webhook/message", [
    ("greeting", "Hi {{ name|default('there') }}, your ticket #{{ ticket.id }} is {{ ticket.status }}.", TICKET),
    ("list_lines", "Your orders:\n{% for o in orders %}- {{ o.id }}: {{ '%.2f'|format(o.total) }} {{ o.currency }}\n{% endfor %}Total: {{ orders|sum(attribute='total')|round(2) }}",
     '{"orders": [{"id": "A1", "total": 10.5, "currency": "EUR"}, {"id": "B2", "total": 3, "currency": "EUR"}]}'),
    ("plural", "You have {{ n }} message{{ 's' if n != 1 }}.", '{"n": 1}'),
    ("plural_many", "You have {{ n }} message{{ 's' if n != 1 }}.", '{"n": 3}'),
    ("date_parts", "{{ date.split('T')[0] }} at {{ date[11:16] }}", '{"date": "2024-03-05T14:30:00Z"}'),
    ("money", "{{ '%.2f'|format(amount / 100) }} {{ currency|upper }}", '{"amount": 129900, "currency": "usd"}'),
])

# --- output modes where Python's text is also the expected output ----------------------
group("mode/json", [
    ("object", '{"a": {{ a }}, "b": "{{ b }}"}', '{"a": 1, "b": "x"}'),
    ("tojson_outside_string", '{"v": {{ v|tojson }}}', '{"v": {"k": [1, "two", null]}}'),
    ("loop_array", '[{% for i in range(3) %}{{ i }}{% if not loop.last %}, {% endif %}{% endfor %}]'),
    ("bool_lower", '{"flag": {{ flag|lower }}}', '{"flag": true}'),
    ("nested_object", '{"outer": {"inner": "{{ v }}"}}', '{"v": "plain-text_1"}'),
    ("float", '{"price": {{ price }}}', '{"price": 19.99}'),
])
for _c in CASES[-6:]:
    _c["mode"] = "json"
group("mode/url", [
    ("path", "https://api.example.com/v1/users/{{ id }}/orders", '{"id": 42}'),
    ("query", "https://api.example.com/search?q={{ q }}&limit={{ limit }}", '{"q": "shoes", "limit": 10}'),
])
for _c in CASES[-2:]:
    _c["mode"] = "url"
group("mode/header", [
    ("value", "application/{{ kind }}", '{"kind": "json"}'),
    ("token", "Token {{ t }}", '{"t": "abc.def-123"}'),
])
for _c in CASES[-2:]:
    _c["mode"] = "header"

# --- in-memory include/import (Options.Templates) -------------------------------------
_T = {"greet.j2": "Hello {{ name }}!", "macros.j2": "{% macro b(x) %}<b>{{ x }}</b>{% endmacro %}{% macro i(x) %}<i>{{ x }}</i>{% endmacro %}"}
case("include/simple", "[{% include 'greet.j2' %}]", '{"name": "Ann"}', templates=_T)
case("include/sees_set_vars", "{% set name = 'Bob' %}{% include 'greet.j2' %}", templates=_T)
case("include/ignore_missing", "[{% include 'nope.j2' ignore missing %}]", templates=_T)
case("import/as", "{% import 'macros.j2' as m %}{{ m.b('x') }}{{ m.i('y') }}", templates=_T)
case("import/from", "{% from 'macros.j2' import b, i as it %}{{ b(1) }}{{ it(2) }}", templates=_T)

# --- more printing and lookup details -------------------------------------------------
group("print/float_arith", [
    ("price_times_qty", "{{ price * qty }}", '{"price": 19.99, "qty": 3}'),
    ("tenths", "{{ 0.1 + 0.7 }}"),
    ("percent_up", "{{ 100 * 1.1 }}"),
    ("third_times_three", "{{ 1 / 3 * 3 }}"),
    ("smallest_denormal", "{{ 5e-324 }}"),
    ("largest", "{{ 1.7976931348623157e308 }}"),
    ("big_int", "{{ 123456789012345678 }}"),
    ("floordiv_float_divisor", "{{ 7.0 // 0.5 }}"),
    ("neg_floordiv_small", "{{ -1 // 3 }}"),
    ("float_to_string_length", "{{ v|string|length }}", '{"v": 1.0}'),
    ("sum_money", "{{ items|sum(attribute='p') }}", '{"items": [{"p": 0.1}, {"p": 0.2}, {"p": 0.3}]}'),
    ("in_list_int_float", "{{ 1.0 in [1] }}"),
])
group("access/more", [
    ("dict_literal_dot", "{{ {'a': 1}.a }}"),
    ("item_tuple_print", "{% for item in d.items() %}{{ item }} {% endfor %}", ORDERED),
    ("dictsort_loop", "{% for k, v in d|dictsort %}{{ k }}{% endfor %}", ORDERED),
    ("float_index_undefined", "[{{ [1, 2][1.0] }}]"),
    ("get_method_on_context", "{{ ticket.get('status') }} {{ ticket.get('nope', 'n/a') }}", TICKET),
    ("percent_object", "{{ '%s' % ticket.via }}", TICKET),
])
group("op/more", [
    ("tuple_concat", "{{ (1, 2) + (3,) }}"),
    ("list_eq_tuple", "{{ [1, 2] == (1, 2) }}"),
    ("string_times_float_error", "{{ 'abc' * 2.0 }}"),
    ("and_returns_value", "{{ true and 1 }}"),
    ("is_defined_and", "{{ x is defined and x }}", '{"x": "set"}'),
    ("in_literal_list", "{% if x in ['a', 'b'] %}yes{% endif %}", '{"x": "b"}'),
    ("empty_string_is_none", "{{ '' is none }}"),
])
group("filter/items/more", [
    ("not_mapping_error", "{{ [1]|items|list }}"),
])
group("webhook/text_json", [
    ("manual_quote_escape", "{\"reply\": \"{{ reply|replace('\"', '\\\\\"') }}\"}", '{"reply": "say \\"hi\\""}'),
    ("tojson_safe", "{\"body\": {{ body|tojson|safe }}}", '{"body": {"b": 1, "a": "<x>"}}'),
])

# --- edge cases found by differential probing -------------------------------------
group("filter/edge", [
    ("select_on_null_is_empty", "{{ v|select|list }} {{ v|reject|list }}", '{"v": null}'),
    ("map_on_null_is_empty", "{{ v|map(attribute='id')|list }}", '{"v": null}'),
    ("map_on_false_is_empty", "{{ false|map('string')|list }}"),
    ("selectattr_on_null_is_empty", "{{ v|selectattr('a')|list }} {{ v|rejectattr('a')|list }}", '{"v": null}'),
    ("select_on_int_error", "{{ 7|select|list }}"),
    ("indent_on_int_error", "{{ 42|indent }}"),
    ("wordwrap_on_int_error", "{{ 42|wordwrap(3) }}"),
    ("truncate_on_int_error", "{{ 42|truncate(3) }}"),
    ("truncate_short_list_unchanged", "{{ ['b', 'a']|truncate(3) }}"),
    ("indent_on_undefined_error", "{{ nope|indent }}"),
    ("round_floor_neg_zero", "{{ -0.0|round(0, 'floor') }} {{ -0.0|round(0, 'ceil') }}"),
    ("capitalize_sharp_s", "{{ 'ß'|capitalize }} {{ 'ßa'|capitalize }}"),
])
group("op/edge", [
    ("pow_float_rounding", "{{ 2 ** 1.5 }} {{ 1.5 ** -2.5 }} {{ 3.0 ** -2.5 }}"),
    ("percent_list_arg_no_spec", "{{ 'plain' % [1, 2] }}"),
    ("undefined_in_dict", "{{ nope in {'b': 1} }} {{ nope not in {} }}"),
])
group("method/edge", [
    ("rsplit_whitespace_maxsplit", "{{ '  Hello big World  '.rsplit(None, 1) }} {{ '  a b  '.split(None, 1) }}"),
    ("format_n_float", "{{ '{:n}'.format(2.5) }} {{ '{:n}'.format(1234567.891) }} {{ '{:n}'.format(42) }}"),
    ("format_width_on_none_error", "{{ '{:>8}'.format(none) }}"),
    ("format_precision_on_int_error", "{{ '{:.3}'.format(7) }}"),
    ("format_sign_on_string_error", "{{ '{:+}'.format('s') }}"),
    ("format_s_on_bool_error", "{{ '{:s}'.format(true) }}"),
    ("percent_c_out_of_range_error", "{{ '%c' % -7 }}"),
    ("special_casing_methods", "{{ 'Straße'.swapcase() }} {{ 'ﬁx'.title() }} {{ 'Straße'.casefold() }}"),
])
group("test/edge", [
    ("undefined_is_sequence", "{{ nope is sequence }}"),
    ("titlecase_char_not_upper", "{{ 'ǅ' is upper }} {{ 'ǅ' is lower }}"),
])
group("unicode/properties", [
    ("nfd_wordcount", "{{ 'cafe\u0301 cre\u0300me bru\u0302le\u0301e'|wordcount }}"),
    ("wordcount_underscore_dash_digits", "{{ 'snake_case and dash-word 42x'|wordcount }}"),
    ("nfd_title_method", "{{ 'cafe\u0301s'.title() }} {{ 'cafe\u0301s'|title }}"),
    ("special_casing_upper_greek", "{{ 'ΰ ᾀ ǰ'|upper }}"),
    ("roman_numerals_are_cased", "{{ 'Ⅻ'|lower }} {{ 'ⅻ' is lower }} {{ 'Ⅻ'.isupper() }}"),
    ("ordinal_indicators_are_lowercase", "{{ 'º'.islower() }} {{ 'ª' is lower }}"),
    ("superscript_digit", "{{ '²'.isdigit() }} {{ '²'.isdecimal() }} {{ '½'.isnumeric() }}"),
    ("final_sigma_contexts", "{{ 'ΑΣ.'|lower }} {{ 'Σ'|lower }} {{ 'ΑΣΑ'|lower }} {{ 'ΑΣ\u0301'|lower }} {{ 'Α.Σ'|lower }}"),
])
group("stmt/scope", [
    ("set_in_filter_block_stays_inside", "{% filter upper %}{% set x = 'a' %}{{ x }}{% endfilter %}[{{ x }}]"),
    ("set_in_set_block_stays_inside", "{% set x %}{% set y = 1 %}{{ y }}{% endset %}[{{ x }}{{ y }}]"),
    ("macro_sees_later_top_level_set", "{% macro m() %}{{ x }}{% endmacro %}{% set x = 1 %}{{ m() }}"),
    ("macro_does_not_see_loop_var", "{% macro m() %}[{{ i }}]{% endmacro %}{% for i in [1, 2] %}{{ m() }}{% endfor %}"),
    ("set_in_macro_stays_inside", "{% macro m() %}{% set x = 'in' %}{{ x }}{% endmacro %}{% set x = 'out' %}{{ m() }}{{ x }}"),
    ("macro_in_loop_sees_loop_var", "{% for i in [1] %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}"),
    ("caller_sees_loop", "{% macro m() %}{{ caller() }}{% endmacro %}{% for i in [1, 2] %}{% call m() %}{{ loop.index }}{{ i }}{% endcall %}{% endfor %}"),
    ("namespace_through_macro", "{% set ns = namespace(n=0) %}{% macro inc() %}{% set ns.n = ns.n + 1 %}{% endmacro %}{{ inc() }}{{ inc() }}{{ ns.n }}"),
    ("splat_args", "{% set args = [1, 2] %}{% set kw = {'b': 3} %}{% macro m(a, b=0) %}{{ a }}{{ b }}{% endmacro %}{{ m(*args) }}{{ m(1, **kw) }}"),
])
case("include/loop_var_visible", "{% for x in [1, 2] %}{% include 'show.j2' %}{% endfor %}", templates={"show.j2": "[{{ x }}]"})
case("include/without_context", "{% set x = 'X' %}{% include 'show.j2' without context %}", templates={"show.j2": "[{{ x }}]"})
case("include/first_existing_of_list", "{% include ['nope.j2', 'show.j2'] %}", '{"x": 1}', templates={"show.j2": "[{{ x }}]"})
case("import/without_context_by_default", "{% set x = 'X' %}{% import 'm.j2' as m %}{{ m.f(1) }}", templates={"m.j2": "{% macro f(a) %}<{{ a }}{{ x }}>{% endmacro %}"})
case("import/with_context", "{% set x = 'X' %}{% import 'm.j2' as m with context %}{{ m.f(1) }}", templates={"m.j2": "{% macro f(a) %}<{{ a }}{{ x }}>{% endmacro %}"})
case("import/exported_variable", "{% import 'm.j2' as m %}{{ m.y }}", templates={"m.j2": "{% set y = 'Y' %}"})
group("filter/args", [
    ("indent_negative_width", "[{{ 'a\nb'|indent(-1) }}]"),
    ("trim_non_string_chars_error", "{{ 'xax'|trim(1) }}"),
    ("tojson_string_indent", "{{ {'b': [1], 'a': 2}|tojson(indent='\t') }}"),
    ("sort_reverse_not_bool_error", "{{ [3, 1, 2]|sort('x') }}"),
    ("round_precision_none", "{{ 2.5|round(none) }} {{ 12|round(none) }}"),
    ("attr_name_not_string_error", "{{ 'abc'|attr(1) }}"),
    ("wordwrap_empty_string_any_width", "[{{ ''|wordwrap(0) }}]"),
])
group("filter/edge2", [
    ("sort_by_attribute_missing_everywhere_keeps_order", "{{ users|sort(attribute='nick')|map(attribute='name')|join(',') }}", USERS),
    ("sort_by_attribute_missing_in_some_error", "{{ [{'a': 2}, {'b': 1}]|sort(attribute='a') }}"),
    ("pprint_width_counts_characters", "{{ v|pprint }}", '{"v": [{"\\u00e9\\u00e9\\u00e9\\u00e9": "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9", "k k": [7, "\\u00e9\\"\\\\", 1, 3.0], "b": 7}, [null, 1], "\\u00e9\\u00e9\\u00e9"]}'),
])
group("data/wide_integers", [
    ("id_past_int64_prints_exact", "{{ order.id }}", '{"order": {"id": 18446744073709551615}}'),
    ("negative_past_int64", "{{ n }}", '{"n": -92233720368547758080}'),
    ("wide_int_arithmetic", "{{ n + 1 }} {{ n // 10 }} {{ n % 7 }}", '{"n": 123456789012345678901234567890}'),
    ("wide_int_compare_and_test", "{{ n > 9223372036854775807 }} {{ n is integer }} {{ n is number }}", '{"n": 9223372036854775808}'),
    ("wide_int_tojson", "{{ d|tojson }}", '{"d": {"id": 18446744073709551616, "a": 1}}'),
    ("wide_int_in_list_repr", "{{ l }}", '{"l": [1, 18446744073709551616]}'),
    ("wide_int_string_filter", "{{ n|string|length }}", '{"n": 100000000000000000000}'),
])


# --- ported from Jinja2's own test suite (see ported.py) -------------------------------
import ported  # noqa: E402 - the ported cases come after the engine's own

ported.add(case)
