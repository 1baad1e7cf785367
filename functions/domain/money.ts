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
