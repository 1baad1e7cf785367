/**
 * Decodes the `application/x-www-form-urlencoded` bodies the Stripe SDK sends, with its
 * bracket notation, into nested values: `metadata[order]=1` becomes `{metadata: {order: '1'}}`
 * and `payment_method_types[0]=card` becomes `{payment_method_types: ['card']}`.
 */
export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

/**
 * Objects are built without a prototype, so a hostile `__proto__[polluted]=1` is an ordinary
 * key of the decoded body and never reaches `Object.prototype`.
 */
export function decodeStripeForm(body: string): FormObject {
  const root = emptyObject();
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const [head = '', ...rest] = rawKey.split('[');
    const parents = [head, ...rest.map((part) => part.replace(/]$/, ''))];
    const leaf = parents.pop() ?? '';
    let node = root;
    for (const segment of parents) {
      const next = node[segment];
      node = isFormObject(next) ? next : (node[segment] = emptyObject());
    }
    node[leaf] = value;
  }
  return withArrays(root) as FormObject;
}

export function isFormObject(value: FormValue | undefined): value is FormObject {
  return typeof value === 'object' && !Array.isArray(value);
}

function emptyObject(): FormObject {
  return Object.create(null) as FormObject;
}

/** Turns every object whose keys are exactly `0…n-1` into the array the SDK encoded. */
function withArrays(value: FormValue): FormValue {
  if (!isFormObject(value)) return value;
  const keys = Object.keys(value);
  const converted = emptyObject();
  for (const key of keys) converted[key] = withArrays(value[key] as FormValue);
  // n distinct canonical indices, each below n, are exactly 0…n-1.
  const isList = keys.length > 0 && keys.every((key) => /^(0|[1-9]\d*)$/.test(key) && Number(key) < keys.length);
  return isList ? keys.map((_, index) => converted[String(index)] as FormValue) : converted;
}
