// A layered left-to-right layout of the project graph, in data-flow order: an edge `A reads B`
// means data flows B → A; `A materializes_into / copies_into / sinks B` means A → B. Each node's
// column is the longest data-flow path reaching it (cycles are broken); rows are ordered by
// the mean row of their predecessors to keep edges short. No VS Code API: tested with Node.
export interface GraphNode {
  name: string;
  kind: string;
  path: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: string;
}

export interface Placed extends GraphNode {
  x: number;
  y: number;
  width: number;
  height: number;
  column: number;
}

export interface Routed extends GraphEdge {
  /** SVG path data, from the data source's right side to the data sink's left side. */
  path: string;
}

export interface Layout {
  nodes: Placed[];
  edges: Routed[];
  width: number;
  height: number;
}

const WIDTH = 180;
const HEIGHT = 42;
const GAP_X = 70;
const GAP_Y = 18;
const MARGIN = 10;

/** The data-flow direction of an edge: [upstream, downstream]. */
export function flow(e: GraphEdge): [string, string] {
  return e.kind === "reads" || e.kind === "test_reads" ? [e.to, e.from] : [e.from, e.to];
}

export function layout(nodes: GraphNode[], edges: GraphEdge[]): Layout {
  const names = new Set(nodes.map((n) => n.name));
  const down = new Map<string, string[]>();
  const up = new Map<string, string[]>();
  for (const n of nodes) {
    down.set(n.name, []);
    up.set(n.name, []);
  }
  const usable = edges.filter((e) => names.has(e.from) && names.has(e.to) && e.from !== e.to);
  for (const e of usable) {
    const [a, b] = flow(e);
    down.get(a)!.push(b);
    up.get(b)!.push(a);
  }
  // Longest path from a root, by depth-first search; a back edge (a cycle) is ignored.
  const column = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (n: string): number => {
    const known = column.get(n);
    if (known !== undefined) return known;
    if (visiting.has(n)) return -1;
    visiting.add(n);
    let c = 0;
    for (const a of up.get(n)!) {
      const d = depth(a);
      if (d >= 0) c = Math.max(c, d + 1);
    }
    visiting.delete(n);
    column.set(n, c);
    return c;
  };
  for (const n of nodes) depth(n.name);

  const columns: GraphNode[][] = [];
  for (const n of [...nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    const c = column.get(n.name)!;
    (columns[c] ??= []).push(n);
  }
  const row = new Map<string, number>();
  columns.forEach((col, c) => {
    if (c > 0) {
      const mean = (n: GraphNode) => {
        const rows = up.get(n.name)!.map((a) => row.get(a)).filter((r): r is number => r !== undefined);
        return rows.length ? rows.reduce((s, r) => s + r, 0) / rows.length : Infinity;
      };
      col.sort((a, b) => mean(a) - mean(b) || a.name.localeCompare(b.name));
    }
    col.forEach((n, i) => row.set(n.name, i));
  });

  const placed = new Map<string, Placed>();
  columns.forEach((col, c) =>
    col.forEach((n, i) =>
      placed.set(n.name, {
        ...n,
        column: c,
        x: MARGIN + c * (WIDTH + GAP_X),
        y: MARGIN + i * (HEIGHT + GAP_Y),
        width: WIDTH,
        height: HEIGHT,
      }),
    ),
  );
  const routed: Routed[] = usable.map((e) => {
    const [a, b] = flow(e).map((n) => placed.get(n)!);
    const x1 = a.x + a.width;
    const y1 = a.y + a.height / 2;
    const x2 = b.x;
    const y2 = b.y + b.height / 2;
    const bend = Math.max(30, Math.abs(x2 - x1) / 2);
    return { ...e, path: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` };
  });
  const tallest = Math.max(0, ...columns.map((c) => c.length));
  return {
    nodes: [...placed.values()],
    edges: routed,
    width: MARGIN * 2 + columns.length * WIDTH + Math.max(0, columns.length - 1) * GAP_X,
    height: MARGIN * 2 + tallest * HEIGHT + Math.max(0, tallest - 1) * GAP_Y,
  };
}
