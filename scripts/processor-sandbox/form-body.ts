/**
 * Decodes the `application/x-www-form-urlencoded` bodies the Stripe SDK sends, with its
 * bracket notation (`metadata[order]=1`, `payment_method_types[0]=card`), into nested values.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };

export function decodeStripeForm(body: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const [head, ...rest] = rawKey.split('[');
    const path = [head ?? '', ...rest.map((part) => part.replace(/]$/, ''))];
    let node: Record<string, FormValue> = root;
    path.forEach((segment, index) => {
      if (index === path.length - 1) {
        node[segment] = value;
        return;
      }
      const next = node[segment];
      if (typeof next !== 'object' || next === null) node[segment] = {};
      node = node[segment] as Record<string, FormValue>;
    });
  }
  return root;
}
