/**
 * Word prefilters for the patterns of the failure analysis. Looking a word up in
 * a set costs far less than running a regular expression over the output, so a
 * pattern runs only when the output contains one of the words listed for it.
 */

/**
 * @internal A pattern with the words that every match of it contains as a whole
 * word, at least one of them. A word is a run of ASCII letters, digits and
 * underscores (what `\w` matches), compared in lower case. A pattern without
 * words always runs.
 */
export interface GatedPattern {
  readonly pattern: RegExp;
  readonly words: readonly string[];
}

/** @internal */
export function gated(pattern: RegExp, ...words: string[]): GatedPattern {
  return { pattern, words };
}

/** @internal Whether `words` contains one of the words that a match of `candidate` needs. */
export function mayMatch(candidate: GatedPattern, words: ReadonlySet<string>): boolean {
  if (candidate.words.length === 0) return true;
  for (const word of candidate.words) {
    if (words.has(word)) return true;
  }
  return false;
}

const WORD = /[A-Za-z0-9_]+/g;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * @internal Returns the words of the lines in lower case. In text with a
 * non-ASCII character, each word is found in the text as it is and then
 * lowercased. Lowercasing the whole text first could turn a non-ASCII character
 * next to a word into an ASCII letter and so hide the word: U+212A, the Kelvin
 * sign, becomes "k". In ASCII text, lowercasing changes only A-Z, which are word
 * characters either way, so the whole text is lowercased at once.
 */
export function wordsOf(lines: readonly string[]): Set<string> {
  const text = lines.join('\n');
  if (!NON_ASCII.test(text)) return new Set(text.toLowerCase().match(WORD));

  const words = new Set<string>();
  for (const match of text.matchAll(WORD)) words.add(match[0].toLowerCase());
  return words;
}
