/**
 * Stands in for `mnemonist/lru-cache` in the Lambda bundles (an esbuild alias,
 * lib/lambda-bundling.ts). The DynamoDB client builds an endpoint-discovery cache at start-up
 * even though discovery is off (the default, and never turned on here); mnemonist and its
 * iterator helpers add about 7 KB to every bundle for that one object. This is the part of
 * its API the SDK's EndpointCache uses (get, set, has, peek, clear), least recently used
 * first out, on a Map's insertion order.
 */
export default class LRUCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** The value, without changing the order. */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  set(key: K, value: V): this {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    return this;
  }

  clear(): void {
    this.entries.clear();
  }
}
