// Package jinja is a sandboxed Jinja2 engine whose output equals Python Jinja2 3.1 with the
// default jinja2.Environment(): the same syntax, filters, tests and globals, the same
// printing of numbers, None, booleans, lists and dicts, and the same whitespace rules.
//
// A template is compiled once (Compile) and rendered many times, concurrently, with
// Render or Eval. Compile rejects what is not supported (template inheritance, unknown
// tags, filters or tests) with an *Error naming the construct, its line and column.
//
// # Sandbox
//
// Templates reach only data: the render data (nil, bool, int, int64, *big.Int, float64,
// string, []any, map[string]any, *Object, Undefined) and values the template builds. Attribute
// access resolves to data keys and to the few Python str/list/dict methods Jinja2 allows;
// no Go method, field or reflection is ever reachable, and a Go value of any other type
// fails the render. There is no file, network or environment access: include, import
// and from resolve only among the in-memory Options.Templates. Render data is never
// modified; mutating methods such as append work on values the template built.
//
// # Budgets
//
// Every render runs under Limits: evaluation steps (each node and loop iteration counts,
// so a loop that prints nothing still ends, and each operation counts in proportion to
// its work: every name a tuple assignment, a frame or a macro call binds, every dict
// entry, every 8 bytes read or built, n log n for a sort), output bytes, the size of
// any string, list or dict an operation would build (checked before allocating, so 'a' * 10**9 or
// range(10**9)|list fail at once; range itself is lazy), the total data built, macro
// and call recursion depth, and a deadline from Limits.Timeout and the context. The
// lexer and parser bound nesting so that no input can exhaust the Go stack;
// compiling takes time linear in the template's size (scopes and the frame analysis
// index their names in maps), and a template of more than 65,536 tokens is refused
// at compile time. Exceeding a budget returns an *Error with Kind
// "budget" naming it; the process is unharmed.
//
// # Output modes
//
// ModeText writes what Python writes. ModeJSON tracks JSON string literals in the
// output: a value printed inside one is escaped as string content, so user text cannot
// break out. A value printed outside one must be one complete JSON value by itself (a
// number, true, false, null, or a whole string, object or list as tojson prints them;
// after a '-' of the template, an unsigned number), or a lone ',' separator, or the
// render fails naming the tag and what it printed (an undefined value names the
// variable); two values printed side by side fail at compile time. // and /* */
// comments in the template text are dropped; the result must be valid JSON without a
// repeated key in any object. ModeURL percent-encodes each printed value for its
// position (host, path, query, fragment). ModeHeader rejects CR, LF and NUL.
package jinja
