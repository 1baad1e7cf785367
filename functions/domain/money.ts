/**
 * ISO 4217 active currency codes, lower-case as Stripe writes them. Funds codes,
 * precious metals and testing codes (XTS, XXX) are left out: no card is charged in them.
 */
const ISO_4217_CURRENCIES = new Set(
  (
    'aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd btn bwp ' +
    'byn bzd cad cdf chf clp cny cop crc cup cve czk djf dkk dop dzd egp ern etb eur fjd fkp gbp ' +
    'gel ghs gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr iqd irr isk jmd jod jpy kes kgs khr ' +
    'kmf kpw krw kwd kyd kzt lak lbp lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mru mur mvr mwk ' +
    'mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar ' +
    'sbd scr sdg sek sgd shp sle sll sos srd ssp stn svc syp szl thb tjs tmt tnd top try ttd twd ' +
    'tzs uah ugx usd uyu uzs ves vnd vuv wst xaf xcd xcg xof xpf yer zar zmw zwg'
  ).split(' '),
);

/**
 * The largest amount Stripe accepts in any currency: eight digits of minor units.
 * Larger values are rejected here rather than by the processor, after the charge is durable.
 */
export const MAX_AMOUNT_MINOR_UNITS = 99_999_999;

/** True when `code` is an active ISO 4217 code in lower case. */
export function isSupportedCurrency(code: string): boolean {
  return ISO_4217_CURRENCIES.has(code);
}

/**
 * Stripe's minimum charge amounts in minor units, for the currencies where its documented
 * minimum is not 50 minor units (USD, EUR, AUD, CAD, CHF, … are 50). Stripe refuses smaller
 * amounts with `amount_too_small`, so oncepay refuses them before a charge is recorded.
 */
const MINIMUM_AMOUNTS: Readonly<Record<string, number>> = {
  aed: 200,
  bgn: 100,
  czk: 1500,
  dkk: 250,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  mxn: 1000,
  myr: 200,
  nok: 300,
  pln: 200,
  ron: 200,
  sek: 300,
  thb: 1000,
};
const DEFAULT_MINIMUM_AMOUNT = 50;

/** The smallest amount (minor units) the processor accepts in `currency`. */
export function minimumAmount(currency: string): number {
  return MINIMUM_AMOUNTS[currency] ?? DEFAULT_MINIMUM_AMOUNT;
}
