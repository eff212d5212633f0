// Builds DOM nodes from data. Text goes in as text nodes and attributes through setAttribute,
// never through innerHTML: span names, attributes and metadata are user data.

/**
 * h('td', { class: 'x', dataset: { id } }, 'text', child) → an element.
 * `on` maps event names to listeners.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'on')
      for (const [event, listener] of Object.entries(value)) element.addEventListener(event, listener);
    else if (name === 'style')
      for (const [property, setting] of Object.entries(value)) element.style.setProperty(property, setting);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces what `container` shows. */
export function show(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

/** A table from a header row and rows of cells (nodes or text). */
export function table(headers, rows, attributes = {}) {
  return h(
    'table',
    attributes,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((header) => h('th', { scope: 'col' }, header)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

/** A note for an empty or failed part of the page. */
export function note(text, kind = 'empty') {
  return h('p', { class: `note ${kind}` }, text);
}
