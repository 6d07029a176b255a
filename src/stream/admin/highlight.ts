// C# syntax highlighting for the code pane. The code is a stranger's: Prism only splits it into tokens
// (Prism.tokenize), and each token becomes a span whose text is set with textContent, so nothing in the
// code is ever parsed as HTML. Prism's own highlight() returns an HTML string and is not used.
import type PrismNS from 'prismjs';

// prism-core.js, prism-clike.js and prism-csharp.js are classic scripts (index.html loads them before
// this module) that set this global.
declare const Prism: typeof PrismNS;

/** A token type or alias as a class name; Prism's grammar names them, never the code. */
const CLASS_NAME = /^[a-z][a-z0-9-]*$/;

export function highlightCSharp(code: string): DocumentFragment {
  const out = document.createDocumentFragment();
  const grammar = typeof Prism === 'undefined' ? undefined : Prism.languages.csharp;
  if (!grammar) {
    out.append(code);
    return out;
  }
  append(out, Prism.tokenize(code, grammar));
  return out;
}

function append(parent: Node, content: string | PrismNS.Token | (string | PrismNS.Token)[]): void {
  if (typeof content === 'string') {
    parent.appendChild(document.createTextNode(content));
    return;
  }
  if (Array.isArray(content)) {
    for (const c of content) append(parent, c);
    return;
  }
  const span = document.createElement('span');
  const aliases = Array.isArray(content.alias) ? content.alias : content.alias ? [content.alias] : [];
  for (const name of ['token', content.type, ...aliases]) if (CLASS_NAME.test(name)) span.classList.add(name);
  append(span, content.content);
  parent.appendChild(span);
}
