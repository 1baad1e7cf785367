/**
 * Card-number detection. oncepay accepts processor tokens (`pm_…`) only; a primary account
 * number anywhere in a request is rejected before it can be stored or logged.
 */

/** A maximal run of digits, optionally grouped by single spaces or dashes. */
const DIGIT_RUN = /\d(?:[ -]?\d)*/g;

/** Luhn (mod 10) checksum over a string of digits. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * True when `text` contains a run of 13 to 19 digits (optionally grouped by spaces or dashes)
 * that passes the Luhn check, i.e. something that may be a real card number.
 */
export function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(DIGIT_RUN)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (digits.length >= 13 && digits.length <= 19 && passesLuhn(digits)) return true;
  }
  return false;
}
