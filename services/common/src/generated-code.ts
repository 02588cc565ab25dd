/**
 * Generated JavaScript (the compiled Avro readers and writers, the RowBinary
 * row loops) compiled once per distinct source text.
 *
 * Every `new Function` is a new function to V8: its feedback and optimized
 * code start empty, so each reader or writer compiled for a schema already in
 * use started interpreted and warmed up again (a dissector's writer per output
 * partition, a new MessageDissector after a rebalance). A generated module is
 * therefore a factory: calling it makes fresh state (buffers, positions,
 * pools) and fresh closures, and closures made at the same place of the same
 * factory share V8's feedback cell, so a new instance runs the optimized code
 * the earlier ones warmed.
 */

type AnyFunction = (...args: never[]) => unknown;

// Never evicted: its entries are bounded by the schemas (and their projections) and tables a process uses.
const factories = new Map<string, AnyFunction>();

/** The function `new Function(...params, body)`, made once per distinct parameter list and body. */
export function generatedFunction<F extends AnyFunction = (...args: unknown[]) => unknown>(params: readonly string[], body: string): F {
  const key = `${params.join(',')}\n${body}`;
  let f = factories.get(key);
  if (f === undefined) {
    // The generated modules are trusted text built by this package.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    f = new Function(...params, body) as AnyFunction;
    factories.set(key, f);
  }
  return f as F;
}

/** Distinct generated functions made so far (tests check that equal sources share one). */
export function generatedFunctionCount(): number {
  return factories.size;
}
