/**
 * A small strict XML parser for libvirt domain XML and capabilities: elements, attributes,
 * text, comments, CDATA, processing instructions and the five predefined entities plus
 * character references. A DOCTYPE (and so any custom entity) is refused, as is anything
 * malformed. No dependency, runs in browsers. (The npm parsers considered, fast-xml-parser,
 * @xmldom/xmldom and saxes, all work, but a domain needs none of what they add.)
 */
import { PrelaunchError } from '../errors.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** the concatenated text directly inside the element */
  text: string;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXml(src: string, file: string): XmlElement {
  let i = 0;
  const fail = (problem: string): PrelaunchError => {
    const line = src.slice(0, i).split('\n').length;
    return new PrelaunchError('ERR_MALFORMED', `${file}:${line}: ${problem}`, { file, line });
  };
  const decode = (s: string): string =>
    s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (m, e: string | undefined) => {
      if (e === undefined) throw fail('a bare & (write &amp;)');
      if (e.startsWith('#')) {
        const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        if (!(cp > 0 && cp <= 0x10ffff)) throw fail(`bad character reference ${m}`);
        return String.fromCodePoint(cp);
      }
      const v = ENTITIES[e];
      if (v === undefined) throw fail(`unknown entity ${m}`);
      return v;
    });
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(src);
    if (!m) throw fail('expected a name');
    i = NAME.lastIndex;
    return m[0];
  };
  const ws = (): void => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const skipMisc = (): void => {
    for (;;) {
      ws();
      if (src.startsWith('<?', i)) {
        const e = src.indexOf('?>', i);
        if (e < 0) throw fail('unterminated <?');
        i = e + 2;
      } else if (src.startsWith('<!--', i)) {
        const e = src.indexOf('-->', i);
        if (e < 0) throw fail('unterminated comment');
        i = e + 3;
      } else if (src.startsWith('<!DOCTYPE', i)) throw fail('a DOCTYPE is not accepted');
      else return;
    }
  };
  const element = (depth: number): XmlElement => {
    if (depth > 64) throw fail('elements nested too deep');
    if (src[i] !== '<') throw fail('expected <');
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      ws();
      if (src.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      const an = name();
      ws();
      if (src[i] !== '=') throw fail(`attribute ${an} without a value`);
      i++;
      ws();
      const q = src[i];
      if (q !== '"' && q !== "'") throw fail(`attribute ${an}: value not quoted`);
      const e = src.indexOf(q, i + 1);
      if (e < 0) throw fail(`attribute ${an}: unterminated value`);
      const raw = src.slice(i + 1, e);
      if (raw.includes('<')) throw fail(`attribute ${an}: < in a value`);
      if (an in el.attrs) throw fail(`attribute ${an} given twice`);
      el.attrs[an] = decode(raw);
      i = e + 1;
    }
    for (;;) {
      if (i >= src.length) throw fail(`element <${el.name}> is not closed`);
      if (src.startsWith('</', i)) {
        i += 2;
        const n = name();
        if (n !== el.name) throw fail(`</${n}> closes <${el.name}>`);
        ws();
        if (src[i] !== '>') throw fail('expected >');
        i++;
        return el;
      }
      if (src.startsWith('<!--', i)) {
        const e = src.indexOf('-->', i);
        if (e < 0) throw fail('unterminated comment');
        i = e + 3;
      } else if (src.startsWith('<![CDATA[', i)) {
        const e = src.indexOf(']]>', i);
        if (e < 0) throw fail('unterminated CDATA');
        el.text += src.slice(i + 9, e);
        i = e + 3;
      } else if (src.startsWith('<?', i)) {
        const e = src.indexOf('?>', i);
        if (e < 0) throw fail('unterminated <?');
        i = e + 2;
      } else if (src[i] === '<') {
        el.children.push(element(depth + 1));
      } else {
        const e = src.indexOf('<', i);
        const end = e < 0 ? src.length : e;
        el.text += decode(src.slice(i, end));
        i = end;
      }
    }
  };
  if (src.charCodeAt(0) === 0xfeff) i = 1;
  skipMisc();
  if (i >= src.length) throw fail('no XML element');
  const root = element(0);
  skipMisc();
  if (i < src.length) throw fail('content after the root element');
  return root;
}

export const child = (el: XmlElement, name: string): XmlElement | undefined => el.children.find((c) => c.name === name);
export const childrenNamed = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name);
