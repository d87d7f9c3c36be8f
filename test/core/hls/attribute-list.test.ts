// The attribute-list lexer (RFC 8216 section 4.2) and its readers: values, quoting and offsets as
// the rewriter needs them, and the refusals with their messages.
import { describe, expect, it } from 'vitest';
import { decimalFloatingPoint, enumeratedStringIs, findAttribute, parseAttributeList, quotedString, type Attribute } from '../../../src/core/hls/attribute-list.js';
import { PlaylistError, type Fail } from '../../../src/core/hls/errors.js';

const fail: Fail = (code, what) => {
  throw new PlaylistError(code, what);
};

/** The attribute list of a tag line: everything after the first ':'. */
function parse(line: string): Attribute[] {
  return parseAttributeList(line, line.indexOf(':') + 1, line.length, fail);
}

describe('parseAttributeList', () => {
  it.each<[string, string, [name: string, value: string, quoted: boolean][]]>([
    ['quoted and unquoted', '#EXT-X-KEY:METHOD=AES-128,URI="k.key",IV=0x1F', [['METHOD', 'AES-128', false], ['URI', 'k.key', true], ['IV', '0x1F', false]]],
    ['a comma inside a quoted-string', '#EXT-X-STREAM-INF:CODECS="avc1.4d401f,mp4a.40.2",BANDWIDTH=1', [['CODECS', 'avc1.4d401f,mp4a.40.2', true], ['BANDWIDTH', '1', false]]],
    ['blanks around "=" and ","', '#EXT-X-MAP:  URI = "init.mp4" ,  BYTERANGE = 100@0  ', [['URI', 'init.mp4', true], ['BYTERANGE', '100@0', false]]],
    ['empty entries and a trailing comma', '#EXT-X-KEY:,METHOD=NONE,,', [['METHOD', 'NONE', false]]],
    ['an empty quoted-string', '#EXT-X-DEFINE:NAME="a",VALUE=""', [['NAME', 'a', true], ['VALUE', '', true]]],
    ['an empty unquoted value', '#EXT-X-FOO:A=,B=1', [['A', '', false], ['B', '1', false]]],
    ['duplicates kept, in order', '#EXT-X-PART:URI="a.mp4",URI="b.mp4"', [['URI', 'a.mp4', true], ['URI', 'b.mp4', true]]],
    ['lower case and "_" in names', '#EXT-X-FOO:lower_case=1,X-Y=2', [['lower_case', '1', false], ['X-Y', '2', false]]],
    ['"=" inside a quoted value', '#EXT-X-MAP:URI="a.mp4?x=1&y=2"', [['URI', 'a.mp4?x=1&y=2', true]]],
    ['nothing', '#EXT-X-FOO:', []],
    ['only blanks', '#EXT-X-FOO:  \t ', []],
  ])('reads %s', (_what, line, expected) => {
    const list = parse(line);
    expect(list.map((a) => [a.name, a.value, a.quoted])).toEqual(expected);
    // The offsets are what the rewriter replaces: they must cover exactly the value.
    for (const a of list) expect(line.slice(a.start, a.end)).toBe(a.value);
  });

  it('gives offsets in the whole text, inside the quotes', () => {
    const text = '#EXTM3U\n#EXT-X-MAP:URI="init.mp4",BYTERANGE=9@0\n';
    const from = text.indexOf(':', 8) + 1;
    const [uri, range] = parseAttributeList(text, from, text.length - 1, fail);
    expect(uri).toMatchObject({ start: text.indexOf('init.mp4'), end: text.indexOf('init.mp4') + 8 });
    expect(range).toMatchObject({ value: '9@0', start: text.indexOf('9@0'), end: text.indexOf('9@0') + 3 });
  });

  it('never reads past `to` (the end of the line)', () => {
    const text = '#EXT-X-MAP:URI="a.mp4"\n#EXT-X-KEY:URI="b"';
    expect(parseAttributeList(text, 11, text.indexOf('\n'), fail).map((a) => a.value)).toEqual(['a.mp4']);
    // A quote that only closes on the next line is not terminated.
    expect(() => parseAttributeList('#EXT-X-MAP:URI="a\n"', 11, 17, fail)).toThrow('the quoted-string of URI is not terminated');
  });

  it.each([
    ['no "="', '#EXT-X-KEY:METHOD', 'attribute "METHOD" has no "="'],
    ['a bad name', '#EXT-X-KEY:BAD NAME=1', '"BAD NAME" is not an attribute name'],
    ['an empty name', '#EXT-X-KEY:=1', '"" is not an attribute name'],
    ['an unterminated quoted-string', '#EXT-X-KEY:URI="k.key', 'the quoted-string of URI is not terminated'],
    ['text after a quoted-string', '#EXT-X-KEY:URI="k.key"x,METHOD=AES-128', 'unexpected text after the quoted-string of URI'],
    ['a stray quote', '#EXT-X-KEY:URI=k"ey', `stray '"' in the value of URI`],
  ])('refuses %s', (_what, line, message) => {
    let error: unknown;
    try {
      parse(line);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlaylistError);
    expect(error).toMatchObject({ code: 'Malformed', message });
  });
});

describe('readers', () => {
  const list = parse('#EXT-X-KEY:METHOD=NONE,URI="a",URI=b,KEYFORMAT="NONE",IV=0x1,IV="2"');

  it('findAttribute: the first of a name', () => {
    expect(findAttribute(list, 'URI')?.value).toBe('a');
    expect(findAttribute(list, 'KEYFORMATVERSIONS')).toBeUndefined();
  });

  it('quotedString: only when the first of the name is quoted', () => {
    expect(quotedString(list, 'URI')?.value).toBe('a');
    expect(quotedString(list, 'IV')).toBeUndefined(); // IV=0x1 comes first
    expect(quotedString(list, 'ABSENT')).toBeUndefined();
  });

  it.each<[string, string, boolean]>([
    ['METHOD', 'NONE', true],
    ['METHOD', 'AES-128', false],
    ['KEYFORMAT', 'NONE', true], // quotes tolerated
    ['IV', '2', true], // any occurrence, not only the first
    ['ABSENT', 'NONE', false],
  ])('enumeratedStringIs(%s, %s) is %s', (name, value, expected) => {
    expect(enumeratedStringIs(list, name, value)).toBe(expected);
  });

  it.each<[string, number | undefined]>([
    ['6', 6],
    ['6.006', 6.006],
    ['10.', 10],
    ['007', 7],
    ['', undefined],
    ['.5', undefined],
    ['-1', undefined],
    ['1e3', undefined],
    ['6s', undefined],
    [' 6', undefined],
    ['0x10', undefined],
  ])('decimalFloatingPoint(%j) is %s', (text, expected) => {
    expect(decimalFloatingPoint(text)).toBe(expected);
  });
});
