// A small Prometheus text-format registry (counters, gauges read at scrape time, histograms).
type Labels = Record<string, string>;

function key(labels?: Labels): string {
  if (!labels) return "";
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(n = 1, labels?: Labels): void {
    const k = key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + n);
  }
  get(labels?: Labels): number {
    return this.values.get(key(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${v}`);
    return lines.join("\n");
  }
}

export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => Array<[Labels | undefined, number]>,
  ) {}
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [l, v] of this.read()) lines.push(`${this.name}${key(l)} ${v}`);
    return lines.join("\n");
  }
}

export class Histogram implements Metric {
  private data = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ) {}
  observe(v: number, labels?: Labels): void {
    const k = key(labels);
    let d = this.data.get(k);
    if (!d) this.data.set(k, (d = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 }));
    this.bounds.forEach((b, i) => {
      if (v <= b) d.buckets[i]++;
    });
    d.sum += v;
    d.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, d] of this.data) {
      const inner = k ? k.slice(1, -1) + "," : "";
      this.bounds.forEach((b, i) => lines.push(`${this.name}_bucket{${inner}le="${b}"} ${d.buckets[i]}`));
      lines.push(
        `${this.name}_bucket{${inner}le="+Inf"} ${d.count}`,
        `${this.name}_sum${k} ${d.sum}`,
        `${this.name}_count${k} ${d.count}`,
      );
    }
    return lines.join("\n");
  }
}

export class Registry {
  private metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  async render(extra?: () => Promise<string>): Promise<string> {
    const parts = this.metrics.map((m) => m.render());
    if (extra) parts.push(await extra());
    return parts.join("\n") + "\n";
  }
}
