// A small, strict XML element tree: what the CIB is read into before it becomes typed, and what it
// is written back from. Element order, attribute order and ids are kept so that a CIB round-trips.
import { SaxesParser } from 'saxes';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** 1-based line of the start tag in the source, for error messages. */
  line?: number;
}

export class CibError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CibError';
  }
}

/** Parses XML text; text content and comments are dropped (the CIB carries none that matter). */
export function parseXml(text: string, source = 'input'): XmlElement {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failure: Error | undefined;
  parser.on('error', (err) => {
    // Name the element being read when it went wrong (a truncated file leaves it unclosed).
    const open = stack[stack.length - 1];
    failure ??= new CibError(`${source}: malformed XML: ${err.message}${open ? ` (inside ${describeElement(open)})` : ''}`);
  });
  parser.on('opentag', (tag) => {
    // Without namespaces, saxes hands over a fresh object of plain string values: keep it as is.
    const el: XmlElement = { name: tag.name, attrs: tag.attributes as Record<string, string>, children: [], line: parser.line };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) failure ??= new CibError(`${source}: more than one root element`);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  try {
    parser.write(text).close();
  } catch (err) {
    failure ??= new CibError(`${source}: malformed XML: ${(err as Error).message}`);
  }
  if (failure) throw failure;
  if (!root) throw new CibError(`${source}: no XML element found`);
  return root;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeAttr(v: string): string {
  return v.replace(/[&<>"']/g, (c) => escapes[c]!);
}

/** Serializes with two-space indentation, one element per line. */
export function serializeXml(el: XmlElement, indent = ''): string {
  const attrs = Object.entries(el.attrs)
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join('');
  if (el.children.length === 0) return `${indent}<${el.name}${attrs}/>\n`;
  let out = `${indent}<${el.name}${attrs}>\n`;
  for (const c of el.children) out += serializeXml(c, indent + '  ');
  return out + `${indent}</${el.name}>\n`;
}

export function childrenNamed(el: XmlElement, ...names: string[]): XmlElement[] {
  return el.children.filter((c) => names.includes(c.name));
}

export function firstChild(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** "element 'primitive' id=rsc1 (line 12)" — how errors name an element. */
export function describeElement(el: XmlElement): string {
  const id = el.attrs.id !== undefined ? ` id=${el.attrs.id}` : '';
  const line = el.line !== undefined ? ` (line ${el.line})` : '';
  return `<${el.name}${id}>${line}`;
}
