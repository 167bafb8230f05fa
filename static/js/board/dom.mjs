// Small DOM helpers: elements from text (user text only ever goes in through textContent),
// a cell refilled only when what it shows changed, and children put in order by key with
// the fewest moves, so focus, open dialogs and scroll survive every event.

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// Rebuild `node`'s children only when `signature` differs from the last fill.
const filled = new WeakMap();
export function fill(node, signature, build) {
  if (filled.get(node) === signature) return false;
  filled.set(node, signature);
  node.replaceChildren(...build());
  return true;
}

// Indices (into `seq`) of one longest increasing subsequence.
function longestIncreasing(seq) {
  const tails = [];
  const prev = new Array(seq.length);
  seq.forEach((value, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]] < value) lo = mid + 1;
      else hi = mid;
    }
    prev[i] = lo ? tails[lo - 1] : -1;
    tails[lo] = i;
  });
  const keep = new Set();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i !== -1; i = prev[i]) keep.add(i);
  return keep;
}

// Make `parent`'s children exactly `wanted`, in order, moving as few as possible: the
// longest run already in order stays put. Chromium's moveBefore keeps focus in a moved
// node; elsewhere the focused element is focused again after the move.
export function reconcile(parent, wanted) {
  const wantedSet = new Set(wanted);
  for (const child of [...parent.children]) if (!wantedSet.has(child)) child.remove();
  const position = new Map([...parent.children].map((child, i) => [child, i]));
  const present = wanted.filter((node) => position.has(node));
  const keep = longestIncreasing(present.map((node) => position.get(node)));
  const stays = new Set(present.filter((_, i) => keep.has(i)));
  const focused = document.activeElement;
  let next = null;
  for (let i = wanted.length - 1; i >= 0; i--) {
    const node = wanted[i];
    if (!stays.has(node)) {
      if (node.isConnected && parent.moveBefore) parent.moveBefore(node, next);
      else parent.insertBefore(node, next);
    }
    next = node;
  }
  if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
}
