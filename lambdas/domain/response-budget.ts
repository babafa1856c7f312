/**
 * How big a list response may grow. Lambda refuses a synchronous result over 6 MB
 * (6,291,456 bytes of the serialized result, which API Gateway then answers as a 500), so a
 * handler that lists stored items must stop before that. The budget leaves a megabyte of
 * headroom for the status, the headers and the list's brackets.
 */
export const RESPONSE_BUDGET_BYTES = 5 * 1024 * 1024;

/**
 * A running total of list items against the budget: `fits(item)` takes the item and answers
 * true while the list still fits, false (and does not count it) once it would not. An item
 * costs its JSON as it sits in the result: the body is itself a JSON string inside the
 * Lambda result, so every quote, backslash and control character is escaped twice.
 */
export function responseBudget(maxBytes = RESPONSE_BUDGET_BYTES): (item: unknown) => boolean {
  let used = 0;
  return (item) => {
    // The outer quotes of the re-encoded string are not part of the item; its comma is.
    const size = Buffer.byteLength(JSON.stringify(JSON.stringify(item))) - 2 + 1;
    if (used + size > maxBytes) return false;
    used += size;
    return true;
  };
}
