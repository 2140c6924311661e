/**
 * Making stored text safe to print to a terminal. What `asynx inspect` shows
 * (aggregate IDs, event names, command IDs, metadata, states, durable
 * subscription names) is whatever applications stored: printed raw, an
 * escape sequence in it would be run by the terminal (clear the screen, set
 * the title), a carriage return or line break would forge output lines,
 * and bidi overrides would show text in another order than it has. Such
 * characters are shown as JSON escapes (`\u001b`, `\n`) instead.
 */

/**
 * Characters a terminal acts on or that change how a line reads: C0
 * controls, DEL, C1 controls (U+009B is an 8-bit CSI), the Unicode line and
 * paragraph separators, the bidi controls (Unicode's Bidi_Control: marks,
 * embeddings, overrides, isolates), and lone surrogates, which cannot be
 * written as UTF-8 and would show as U+FFFD.
 */
const UNSAFE = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\p{Surrogate}';
const ANY_UNSAFE = new RegExp(`[${UNSAFE}]`, 'u');
const EVERY_UNSAFE = new RegExp(`[${UNSAFE}]`, 'gu');
/**
 * What JSON.stringify leaves raw: it escapes C0 and lone surrogates itself,
 * and a raw C0 in its output (the line breaks of indented output) is layout,
 * not data.
 */
const UNSAFE_AFTER_STRINGIFY = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One character as JSON escapes it: `\n`, or `\u` and four hex digits. */
function escapeCharacter(character: string): string {
  return SHORT_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every unsafe character escaped. For text that is not data
 * alone (an error message around a value): backslashes are left as they
 * are, so where a value is embedded, embed it with `shown` first.
 */
export function escapeControls(text: string): string {
  return text.replace(EVERY_UNSAFE, escapeCharacter);
}

/**
 * JSON text of `value`, with the unsafe characters JSON.stringify leaves
 * raw (DEL, C1, U+2028/2029, bidi controls) escaped as `\uXXXX`: they only
 * occur inside strings, where the escape is the same JSON value, so the
 * text parses back to exactly what was stored.
 */
export function safeJson(value: unknown, indent?: number): string {
  return (JSON.stringify(value, null, indent) ?? 'undefined').replace(UNSAFE_AFTER_STRINGIFY, escapeCharacter);
}

/**
 * A stored string as one line of text shows it: as it is when it holds no
 * unsafe character, otherwise as a JSON string literal. A string that
 * itself starts with `"` is quoted too, so a value shown quoted always has
 * had its unsafe characters escaped, and one shown bare is the value. The
 * empty string is quoted, or a message would read as if cut short.
 */
export function shown(value: string): string {
  return value === '' || ANY_UNSAFE.test(value) || value.startsWith('"') ? safeJson(value) : value;
}
