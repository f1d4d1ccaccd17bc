// A small interactive graph in SVG: nodes placed by a few hundred steps of a force layout,
// coloured by label; click a node to select it, hide a label with its legend box.
// No library: a neighbourhood of a few dozen nodes needs nothing more.
"use strict";

const GRAPH_COLOURS = {
  Agency: "#9ecae1", Scheme: "#a1d99b", BenefitRule: "#c7e9c0", BeneficiaryCategory: "#fdd0a2",
  Document: "#dadaeb", Measure: "#bcbddc", Problem: "#fc9272", Fund: "#fee391",
  InformationSystem: "#c6dbef", Indicator: "#d9d9d9", Jurisdiction: "#e5f5e0",
  Conflict: "#fb6a4a", Case: "#fdae6b", Row: "#f0f0f0",
};
const SVG_NS = "http://www.w3.org/2000/svg";

function shortName(n) {
  const name = String(n.name || n.id);
  return name.length > 12 ? name.slice(0, 11) + "…" : name;
}

function boxWidth(n) {
  return Math.max(60, shortName(n).length * 13 + 12);
}

class Graph {
  // container: an element; options.onSelect(node) when a node is clicked.
  constructor(container, options = {}) {
    this.container = container;
    this.onSelect = options.onSelect || (() => {});
    this.nodes = new Map(); // id -> {id, label, name, x, y}
    this.edges = new Map(); // key -> {from, to, type}
    this.hidden = new Set();
    this.width = options.width || 900;
    this.baseHeight = this.height = options.height || 520;
    this.legend = document.createElement("div");
    this.legend.className = "legend";
    this.svg = document.createElementNS(SVG_NS, "svg");
    this.svg.setAttribute("viewBox", `0 0 ${this.width} ${this.height}`);
    this.svg.setAttribute("class", "graph");
    container.append(this.legend, this.svg);
  }

  add(nodes, edges) {
    for (const n of nodes) {
      if (!this.nodes.has(n.id)) {
        // New nodes start near a neighbour already placed, so an expansion grows in place.
        const near = edges.map((e) => this.nodes.get(e.from === n.id ? e.to : e.from))
          .find((m) => m && m.x !== undefined);
        this.nodes.set(n.id, {
          ...n,
          x: (near ? near.x : this.width / 2) + (Math.random() - 0.5) * 80,
          y: (near ? near.y : this.height / 2) + (Math.random() - 0.5) * 80,
        });
      }
    }
    for (const e of edges) {
      if (this.nodes.has(e.from) && this.nodes.has(e.to)) {
        this.edges.set(`${e.from}|${e.type}|${e.to}`, e);
      }
    }
    this.layout();
    this.draw();
  }

  visible() {
    const nodes = [...this.nodes.values()].filter((n) => !this.hidden.has(n.label));
    const ids = new Set(nodes.map((n) => n.id));
    const edges = [...this.edges.values()].filter((e) => ids.has(e.from) && ids.has(e.to));
    return { nodes, edges };
  }

  layout() {
    const { nodes, edges } = this.visible();
    // A large neighbourhood gets a taller canvas rather than boxes on top of each other.
    this.height = Math.max(this.baseHeight, 160 + nodes.length * 14);
    this.svg.setAttribute("viewBox", `0 0 ${this.width} ${this.height}`);
    const cx = this.width / 2, cy = this.height / 2;
    const k = Math.sqrt((this.width * this.height) / Math.max(nodes.length, 1)) * 0.8;
    for (let step = 0; step < 300; step++) {
      const heat = 20 * (1 - step / 300) + 0.5;
      const move = new Map(nodes.map((n) => [n.id, { x: 0, y: 0 }]));
      for (let i = 0; i < nodes.length; i++) {
        for (let j = i + 1; j < nodes.length; j++) {
          const a = nodes[i], b = nodes[j];
          const dx = a.x - b.x || 0.01, dy = a.y - b.y || 0.01;
          const d2 = dx * dx + dy * dy;
          const f = (k * k) / d2;
          move.get(a.id).x += dx * f; move.get(a.id).y += dy * f;
          move.get(b.id).x -= dx * f; move.get(b.id).y -= dy * f;
        }
      }
      for (const e of edges) {
        const a = this.nodes.get(e.from), b = this.nodes.get(e.to);
        const dx = a.x - b.x, dy = a.y - b.y;
        const d = Math.sqrt(dx * dx + dy * dy) || 0.01;
        const f = d / k;
        move.get(a.id).x -= dx * f; move.get(a.id).y -= dy * f;
        move.get(b.id).x += dx * f; move.get(b.id).y += dy * f;
      }
      for (const n of nodes) {
        const m = move.get(n.id);
        // A pull towards the centre keeps loose nodes off the edges.
        m.x -= (n.x - cx) * 0.05; m.y -= (n.y - cy) * 0.05;
        const d = Math.sqrt(m.x * m.x + m.y * m.y) || 1;
        n.x = Math.min(this.width - 70, Math.max(70, n.x + (m.x / d) * Math.min(d, heat)));
        n.y = Math.min(this.height - 20, Math.max(20, n.y + (m.y / d) * Math.min(d, heat)));
      }
    }
    this.separate(nodes);
  }

  // Boxes are wider than points: push overlapping boxes apart along their smaller overlap.
  separate(nodes) {
    for (let pass = 0; pass < 40; pass++) {
      let moved = false;
      for (let i = 0; i < nodes.length; i++) {
        for (let j = i + 1; j < nodes.length; j++) {
          const a = nodes[i], b = nodes[j];
          const ox = (boxWidth(a) + boxWidth(b)) / 2 + 6 - Math.abs(a.x - b.x);
          const oy = 32 - Math.abs(a.y - b.y);
          if (ox <= 0 || oy <= 0) continue;
          moved = true;
          if (ox < oy * 3) { const s = (a.x < b.x ? -1 : 1) * ox / 2; a.x += s; b.x -= s; }
          else { const s = (a.y < b.y ? -1 : 1) * oy / 2; a.y += s; b.y -= s; }
        }
      }
      for (const n of nodes) {
        n.x = Math.min(this.width - boxWidth(n) / 2, Math.max(boxWidth(n) / 2, n.x));
        n.y = Math.min(this.height - 16, Math.max(16, n.y));
      }
      if (!moved) break;
    }
  }

  draw() {
    const { nodes, edges } = this.visible();
    this.svg.replaceChildren();
    const defs = document.createElementNS(SVG_NS, "defs");
    defs.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" ' +
      'markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#888"/></marker>';
    this.svg.append(defs);
    for (const e of edges) {
      const a = this.nodes.get(e.from), b = this.nodes.get(e.to);
      const line = document.createElementNS(SVG_NS, "line");
      line.setAttribute("x1", a.x); line.setAttribute("y1", a.y);
      line.setAttribute("x2", b.x); line.setAttribute("y2", b.y);
      line.setAttribute("class", "edge");
      line.setAttribute("marker-end", "url(#arrow)");
      const title = document.createElementNS(SVG_NS, "title");
      title.textContent = e.type;
      line.append(title);
      this.svg.append(line);
      if (edges.length > 24) continue; // many labels would hide the boxes; the title still tells
      const text = document.createElementNS(SVG_NS, "text");
      text.setAttribute("x", (a.x + b.x) / 2); text.setAttribute("y", (a.y + b.y) / 2);
      text.setAttribute("class", "edge-label");
      text.textContent = e.type;
      this.svg.append(text);
    }
    for (const n of [...nodes].sort((a, b) => Number(!!a.focus) - Number(!!b.focus))) {
      const g = document.createElementNS(SVG_NS, "g");
      g.setAttribute("class", "node" + (n.focus ? " focus" : ""));
      g.setAttribute("data-id", n.id);
      g.setAttribute("transform", `translate(${n.x},${n.y})`);
      const name = String(n.name || n.id);
      const shown = shortName(n);
      const rect = document.createElementNS(SVG_NS, "rect");
      const w = boxWidth(n);
      rect.setAttribute("x", -w / 2); rect.setAttribute("y", -13);
      rect.setAttribute("width", w); rect.setAttribute("height", 26);
      rect.setAttribute("rx", 5);
      rect.setAttribute("fill", GRAPH_COLOURS[n.label] || "#eeeeee");
      const text = document.createElementNS(SVG_NS, "text");
      text.setAttribute("text-anchor", "middle"); text.setAttribute("dy", "0.35em");
      text.textContent = shown;
      const title = document.createElementNS(SVG_NS, "title");
      title.textContent = `${name}\n${n.label} ${n.id}`;
      g.append(rect, text, title);
      g.addEventListener("click", () => this.onSelect(n));
      this.svg.append(g);
    }
    this.drawLegend();
  }

  drawLegend() {
    const labels = [...new Set([...this.nodes.values()].map((n) => n.label))].sort();
    this.legend.replaceChildren(...labels.map((label) => {
      const box = document.createElement("label");
      const check = document.createElement("input");
      check.type = "checkbox";
      check.checked = !this.hidden.has(label);
      check.dataset.label = label;
      check.addEventListener("change", () => {
        if (check.checked) this.hidden.delete(label); else this.hidden.add(label);
        this.draw();
      });
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = GRAPH_COLOURS[label] || "#eeeeee";
      box.append(check, swatch, document.createTextNode(label));
      return box;
    }));
  }
}

window.Graph = Graph;
