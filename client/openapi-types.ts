// Generated from openapi.json by `npm run client:types` (openapi-typescript). Do not edit.

export interface paths {
    "/v1/charges": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List your charges, newest first
         * @description Restricted keys need the scope charges:read. A new charge appears in the list within about a second (GET by id sees it at once); listed charges are read strongly consistently.
         */
        get: operations["listCharges"];
        put?: never;
        /**
         * Create a charge (once per Idempotency-Key)
         * @description Restricted keys need the scope charges:write.
         */
        post: operations["createCharge"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/charges/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Retrieve a charge
         * @description Restricted keys need the scope charges:read.
         */
        get: operations["getCharge"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/refunds": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List your refunds, or one charge’s, newest first
         * @description Restricted keys need the scope refunds:read. A new refund appears in the list within about a second.
         */
        get: operations["listRefunds"];
        put?: never;
        /**
         * Refund all or part of a succeeded charge (once per Idempotency-Key)
         * @description Restricted keys need the scope refunds:write. The amount is held on the charge (amount_refunded) in the same atomic write that records the refund, so racing refunds never exceed what was captured; a refund that fails gives it back.
         */
        post: operations["createRefund"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/refunds/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Retrieve a refund
         * @description Restricted keys need the scope refunds:read.
         */
        get: operations["getRefund"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhook_endpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List your webhook endpoints (without secrets)
         * @description Restricted keys need the scope webhooks:read.
         */
        get: operations["listWebhookEndpoints"];
        put?: never;
        /**
         * Register a webhook endpoint (its secret is in this answer only)
         * @description Restricted keys need the scope webhooks:write. Deployed stages take https URLs on port 443 or 8443 only and refuse hosts that resolve to private, loopback or link-local addresses; the local stage also takes http://127.0.0.1:<port>. At most 16 endpoints per merchant.
         */
        post: operations["createWebhookEndpoint"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhook_endpoints/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete a webhook endpoint: nothing more is delivered to it
         * @description Restricted keys need the scope webhooks:write.
         */
        delete: operations["deleteWebhookEndpoint"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhook_endpoints/{id}/roll_secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Roll an endpoint’s signing secret (the new secret is in this answer)
         * @description Restricted keys need the scope webhooks:write. From now on deliveries are signed with the new secret; the replaced one keeps signing beside it (a second v1= in Oncepay-Signature) for expires_in seconds, then stops. A roll during another roll’s overlap stops the secret that was already being replaced at once: at most two secrets sign. A retry with the same Idempotency-Key answers the first answer again, the same secret included.
         */
        post: operations["rollWebhookEndpointSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the disputes opened on your charges, newest first, or one charge’s
         * @description Restricted keys need the scope disputes:read. A charge has one dispute at most.
         */
        get: operations["listDisputes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/disputes/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Retrieve a dispute
         * @description Restricted keys need the scope disputes:read.
         */
        get: operations["getDispute"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhooks/stripe": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Stripe’s events in (for Stripe, not for merchants)
         * @description Register this URL as a webhook endpoint in the Stripe account the stage uses, for exactly these types: payment_intent.succeeded, payment_intent.payment_failed, payment_intent.canceled, payment_intent.processing, charge.refund.updated, refund.updated, refund.failed, charge.dispute.created, charge.dispute.updated, charge.dispute.closed, charge.dispute.funds_withdrawn, charge.dispute.funds_reinstated. No API key: the Stripe-Signature header is the authentication, verified against the endpoint’s signing secret with a 5-minute tolerance. A verified event is recorded once and looked into by id (its payload decides nothing); other types are answered 200 and ignored.
         */
        post: operations["receiveProcessorEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List your events of the last 30 days, newest first, with their delivery attempts
         * @description Restricted keys need the scope webhooks:read.
         */
        get: operations["listEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Retrieve an event and its delivery attempts
         * @description Restricted keys need the scope webhooks:read.
         */
        get: operations["getEvent"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    event: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * An event, POSTed to each subscribed endpoint, at least once
         * @description Verify Oncepay-Signature (t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> under the endpoint secret; refuse t more than 5 minutes off), answer 2xx within 10 s, deduplicate on the event id. Anything else is retried with exponential backoff for 3 days, then the endpoint is disabled.
         */
        post: operations["deliverEvent"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        /** @description A request to charge a payment method once. */
        CreateChargeRequest: {
            /** @description Amount in the currency's minor units (e.g. cents): an integer at least the card processor's minimum for the currency (50 for usd and eur, 30 for gbp, …). */
            amount: number;
            /** @description Three-letter ISO 4217 currency code, lower case. */
            currency: string;
            /** @description A card processor payment method token (pm_…). Never card data. */
            payment_method: string;
            /** @description Free text shown to the merchant. */
            description?: string;
            /** @description Up to 50 string key/value pairs for the merchant’s own use. */
            metadata?: {
                [key: string]: string;
            };
        };
        /** @description A charge. Poll GET /v1/charges/{id} until status is succeeded or failed. A charge whose outcome the processor has not settled stays pending or processing (never failed while money may have moved). */
        Charge: {
            /** @description Charge id, derived from (merchant, Idempotency-Key). */
            id: string;
            /** @constant */
            object: "charge";
            /** @enum {string} */
            status: "pending" | "processing" | "succeeded" | "failed";
            amount: number;
            currency: string;
            payment_method: string;
            description: string | null;
            metadata: {
                [key: string]: string;
            };
            /** @description Unix time (seconds) the charge was created. */
            created: number;
            /** @description Unix time (seconds) of the last status change. */
            updated: number;
            /** @description Set when status is failed, e.g. card_declined, authentication_required, amount_too_small. */
            failure_code: string | null;
            failure_message: string | null;
            /** @description The card issuer's reason for a decline (the processor's decline_code), e.g. insufficient_funds. */
            decline_code: string | null;
            /** @description What refunds hold of amount: pending and succeeded refunds (a refund that fails, even after it succeeded, gives its part back). */
            amount_refunded: number;
            /** @description True once amount_refunded equals amount. */
            refunded: boolean;
            /** @description True once the cardholder disputed the charge with their bank (an inquiry or a chargeback). */
            disputed: boolean;
            /** @description The dispute (GET /v1/disputes/{id}), or null. */
            dispute: string | null;
        };
        ChargeList: {
            /** @constant */
            object: "list";
            /** @description Newest first. */
            data: {
                /** @description Charge id, derived from (merchant, Idempotency-Key). */
                id: string;
                /** @constant */
                object: "charge";
                /** @enum {string} */
                status: "pending" | "processing" | "succeeded" | "failed";
                amount: number;
                currency: string;
                payment_method: string;
                description: string | null;
                metadata: {
                    [key: string]: string;
                };
                /** @description Unix time (seconds) the charge was created. */
                created: number;
                /** @description Unix time (seconds) of the last status change. */
                updated: number;
                /** @description Set when status is failed, e.g. card_declined, authentication_required, amount_too_small. */
                failure_code: string | null;
                failure_message: string | null;
                /** @description The card issuer's reason for a decline (the processor's decline_code), e.g. insufficient_funds. */
                decline_code: string | null;
                /** @description What refunds hold of amount: pending and succeeded refunds (a refund that fails, even after it succeeded, gives its part back). */
                amount_refunded: number;
                /** @description True once amount_refunded equals amount. */
                refunded: boolean;
                /** @description True once the cardholder disputed the charge with their bank (an inquiry or a chargeback). */
                disputed: boolean;
                /** @description The dispute (GET /v1/disputes/{id}), or null. */
                dispute: string | null;
            }[];
            /** @description Whether another page follows in this direction. */
            has_more: boolean;
            /** @constant */
            url: "/v1/charges";
        };
        /** @description A request to give back all or part of a succeeded charge, once. */
        CreateRefundRequest: {
            /** @description The charge to refund: one of your own, `succeeded`. */
            charge: string;
            /** @description How much to refund, in minor units; at most what is left of the charge. Default: all that is left. */
            amount?: number;
            /**
             * @description Why the money goes back.
             * @enum {string}
             */
            reason?: "duplicate" | "fraudulent" | "requested_by_customer";
            /** @description Up to 50 string key/value pairs for the merchant’s own use. */
            metadata?: {
                [key: string]: string;
            };
        };
        /** @description A refund of all or part of a succeeded charge. Its amount is held on the charge from creation; failed or canceled gives it back. */
        Refund: {
            /** @description Refund id, derived from (merchant, Idempotency-Key). */
            id: string;
            /** @constant */
            object: "refund";
            charge: string;
            amount: number;
            currency: string;
            /** @enum {string} */
            status: "pending" | "succeeded" | "failed" | "canceled";
            reason: ("duplicate" | "fraudulent" | "requested_by_customer") | null;
            metadata: {
                [key: string]: string;
            };
            /** @description Unix time (seconds) the refund was created. */
            created: number;
            /** @description Set when status is failed or canceled: the processor's failure_reason (e.g. expired_or_canceled_card) or refusal. */
            failure_reason: string | null;
        };
        RefundList: {
            /** @constant */
            object: "list";
            /** @description Newest first. */
            data: {
                /** @description Refund id, derived from (merchant, Idempotency-Key). */
                id: string;
                /** @constant */
                object: "refund";
                charge: string;
                amount: number;
                currency: string;
                /** @enum {string} */
                status: "pending" | "succeeded" | "failed" | "canceled";
                reason: ("duplicate" | "fraudulent" | "requested_by_customer") | null;
                metadata: {
                    [key: string]: string;
                };
                /** @description Unix time (seconds) the refund was created. */
                created: number;
                /** @description Set when status is failed or canceled: the processor's failure_reason (e.g. expired_or_canceled_card) or refusal. */
                failure_reason: string | null;
            }[];
            /** @description Whether another page follows in this direction. */
            has_more: boolean;
            /** @constant */
            url: "/v1/refunds";
        };
        /** @description A webhook endpoint to register. */
        CreateWebhookEndpointRequest: {
            /** @description Where events are POSTed: https on port 443 or 8443 (the local stage also takes http://127.0.0.1:<port>), never a private, loopback or link-local address. */
            url: string;
            /** @description The event types to send; ["*"] for all. */
            enabled_events: ("*" | "charge.succeeded" | "charge.failed" | "refund.succeeded" | "refund.failed" | "charge.dispute.created" | "charge.dispute.updated" | "charge.dispute.closed")[];
        };
        /** @description How to roll an endpoint’s signing secret. */
        RollWebhookEndpointSecretRequest: {
            /** @description Seconds the old secret keeps signing beside the new one (0, the default: it stops at once; at most 604800, 7 days). */
            expires_in?: number;
        };
        /** @description A URL that receives signed events. */
        WebhookEndpoint: {
            id: string;
            /** @constant */
            object: "webhook_endpoint";
            url: string;
            /** @description The event types sent to it; ["*"] for all. */
            enabled_events: string[];
            /**
             * @description disabled once deliveries kept failing for 3 days.
             * @enum {string}
             */
            status: "enabled" | "disabled";
            created: number;
            /** @description whsec_…: signs its deliveries. Only in the answers that create the endpoint or roll its secret. */
            secret?: string;
        };
        WebhookEndpointList: {
            /** @constant */
            object: "list";
            /** @description Newest first. */
            data: {
                id: string;
                /** @constant */
                object: "webhook_endpoint";
                url: string;
                /** @description The event types sent to it; ["*"] for all. */
                enabled_events: string[];
                /**
                 * @description disabled once deliveries kept failing for 3 days.
                 * @enum {string}
                 */
                status: "enabled" | "disabled";
                created: number;
                /** @description whsec_…: signs its deliveries. Only in the answers that create the endpoint or roll its secret. */
                secret?: string;
            }[];
            /** @description Whether another page follows in this direction. */
            has_more: boolean;
            /** @constant */
            url: "/v1/webhook_endpoints";
        };
        /** @description An event, as POSTed to webhook endpoints with Content-Type application/json and Oncepay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the endpoint secret>. Delivered at least once. */
        Event: {
            /** @description One id per state change, however often the change is seen or delivered: deduplicate on it. */
            id: string;
            /** @constant */
            object: "event";
            /** @enum {string} */
            type: "charge.succeeded" | "charge.failed" | "refund.succeeded" | "refund.failed" | "charge.dispute.created" | "charge.dispute.updated" | "charge.dispute.closed";
            /** @description Unix time (seconds) of the state change. */
            created: number;
            /** @description The charge, refund or dispute as the API shows it, at the change. */
            data: {
                object: {
                    /** @description Charge id, derived from (merchant, Idempotency-Key). */
                    id: string;
                    /** @constant */
                    object: "charge";
                    /** @enum {string} */
                    status: "pending" | "processing" | "succeeded" | "failed";
                    amount: number;
                    currency: string;
                    payment_method: string;
                    description: string | null;
                    metadata: {
                        [key: string]: string;
                    };
                    /** @description Unix time (seconds) the charge was created. */
                    created: number;
                    /** @description Unix time (seconds) of the last status change. */
                    updated: number;
                    /** @description Set when status is failed, e.g. card_declined, authentication_required, amount_too_small. */
                    failure_code: string | null;
                    failure_message: string | null;
                    /** @description The card issuer's reason for a decline (the processor's decline_code), e.g. insufficient_funds. */
                    decline_code: string | null;
                    /** @description What refunds hold of amount: pending and succeeded refunds (a refund that fails, even after it succeeded, gives its part back). */
                    amount_refunded: number;
                    /** @description True once amount_refunded equals amount. */
                    refunded: boolean;
                    /** @description True once the cardholder disputed the charge with their bank (an inquiry or a chargeback). */
                    disputed: boolean;
                    /** @description The dispute (GET /v1/disputes/{id}), or null. */
                    dispute: string | null;
                } | {
                    /** @description Refund id, derived from (merchant, Idempotency-Key). */
                    id: string;
                    /** @constant */
                    object: "refund";
                    charge: string;
                    amount: number;
                    currency: string;
                    /** @enum {string} */
                    status: "pending" | "succeeded" | "failed" | "canceled";
                    reason: ("duplicate" | "fraudulent" | "requested_by_customer") | null;
                    metadata: {
                        [key: string]: string;
                    };
                    /** @description Unix time (seconds) the refund was created. */
                    created: number;
                    /** @description Set when status is failed or canceled: the processor's failure_reason (e.g. expired_or_canceled_card) or refusal. */
                    failure_reason: string | null;
                } | {
                    id: string;
                    /** @constant */
                    object: "dispute";
                    /** @description The disputed amount: usually the charge’s, less what was refunded before. */
                    amount: number;
                    currency: string;
                    charge: string;
                    /** @description The cardholder's reason, as Stripe gives it: fraudulent, product_not_received, general, … */
                    reason: string;
                    /**
                     * @description Inquiries: warning_needs_response, warning_under_review, warning_closed (nothing withdrawn). Chargebacks: needs_response, under_review, won (the amount comes back) or lost (the amount is gone); a lost one may be appealed (appeal_needs_response, appeal_under_review: still withdrawn), ending won or lost again. prevented: settled by the network before it became a chargeback. An inquiry may escalate into a chargeback.
                     * @enum {string}
                     */
                    status: "warning_needs_response" | "warning_under_review" | "warning_closed" | "needs_response" | "under_review" | "won" | "lost" | "appeal_needs_response" | "appeal_under_review" | "prevented";
                    /** @description Whether the charge may still be refunded: true for an inquiry, false once charged back. */
                    is_charge_refundable: boolean;
                    evidence_details: {
                        /** @description Unix time (seconds) evidence is due, at Stripe; null when none is allowed. */
                        due_by: number | null;
                    };
                    /** @description Unix time (seconds) the dispute was opened. */
                    created: number;
                };
            };
        };
        /** @description An event with its delivery attempts, as GET /v1/events shows it. */
        EventWithAttempts: {
            /** @description One id per state change, however often the change is seen or delivered: deduplicate on it. */
            id: string;
            /** @constant */
            object: "event";
            /** @enum {string} */
            type: "charge.succeeded" | "charge.failed" | "refund.succeeded" | "refund.failed" | "charge.dispute.created" | "charge.dispute.updated" | "charge.dispute.closed";
            /** @description Unix time (seconds) of the state change. */
            created: number;
            /** @description The charge, refund or dispute as the API shows it, at the change. */
            data: {
                object: {
                    /** @description Charge id, derived from (merchant, Idempotency-Key). */
                    id: string;
                    /** @constant */
                    object: "charge";
                    /** @enum {string} */
                    status: "pending" | "processing" | "succeeded" | "failed";
                    amount: number;
                    currency: string;
                    payment_method: string;
                    description: string | null;
                    metadata: {
                        [key: string]: string;
                    };
                    /** @description Unix time (seconds) the charge was created. */
                    created: number;
                    /** @description Unix time (seconds) of the last status change. */
                    updated: number;
                    /** @description Set when status is failed, e.g. card_declined, authentication_required, amount_too_small. */
                    failure_code: string | null;
                    failure_message: string | null;
                    /** @description The card issuer's reason for a decline (the processor's decline_code), e.g. insufficient_funds. */
                    decline_code: string | null;
                    /** @description What refunds hold of amount: pending and succeeded refunds (a refund that fails, even after it succeeded, gives its part back). */
                    amount_refunded: number;
                    /** @description True once amount_refunded equals amount. */
                    refunded: boolean;
                    /** @description True once the cardholder disputed the charge with their bank (an inquiry or a chargeback). */
                    disputed: boolean;
                    /** @description The dispute (GET /v1/disputes/{id}), or null. */
                    dispute: string | null;
                } | {
                    /** @description Refund id, derived from (merchant, Idempotency-Key). */
                    id: string;
                    /** @constant */
                    object: "refund";
                    charge: string;
                    amount: number;
                    currency: string;
                    /** @enum {string} */
                    status: "pending" | "succeeded" | "failed" | "canceled";
                    reason: ("duplicate" | "fraudulent" | "requested_by_customer") | null;
                    metadata: {
                        [key: string]: string;
                    };
                    /** @description Unix time (seconds) the refund was created. */
                    created: number;
                    /** @description Set when status is failed or canceled: the processor's failure_reason (e.g. expired_or_canceled_card) or refusal. */
                    failure_reason: string | null;
                } | {
                    id: string;
                    /** @constant */
                    object: "dispute";
                    /** @description The disputed amount: usually the charge’s, less what was refunded before. */
                    amount: number;
                    currency: string;
                    charge: string;
                    /** @description The cardholder's reason, as Stripe gives it: fraudulent, product_not_received, general, … */
                    reason: string;
                    /**
                     * @description Inquiries: warning_needs_response, warning_under_review, warning_closed (nothing withdrawn). Chargebacks: needs_response, under_review, won (the amount comes back) or lost (the amount is gone); a lost one may be appealed (appeal_needs_response, appeal_under_review: still withdrawn), ending won or lost again. prevented: settled by the network before it became a chargeback. An inquiry may escalate into a chargeback.
                     * @enum {string}
                     */
                    status: "warning_needs_response" | "warning_under_review" | "warning_closed" | "needs_response" | "under_review" | "won" | "lost" | "appeal_needs_response" | "appeal_under_review" | "prevented";
                    /** @description Whether the charge may still be refunded: true for an inquiry, false once charged back. */
                    is_charge_refundable: boolean;
                    evidence_details: {
                        /** @description Unix time (seconds) evidence is due, at Stripe; null when none is allowed. */
                        due_by: number | null;
                    };
                    /** @description Unix time (seconds) the dispute was opened. */
                    created: number;
                };
            };
            /** @description Every delivery attempt, oldest first (GET only; deliveries do not carry it). */
            delivery_attempts: {
                endpoint: string;
                created: number;
                /** @description null when there was no answer (timeout, network error). */
                status_code: number | null;
                duration_ms: number;
                error?: string;
            }[];
        };
        EventList: {
            /** @constant */
            object: "list";
            /** @description Newest first. */
            data: {
                /** @description One id per state change, however often the change is seen or delivered: deduplicate on it. */
                id: string;
                /** @constant */
                object: "event";
                /** @enum {string} */
                type: "charge.succeeded" | "charge.failed" | "refund.succeeded" | "refund.failed" | "charge.dispute.created" | "charge.dispute.updated" | "charge.dispute.closed";
                /** @description Unix time (seconds) of the state change. */
                created: number;
                /** @description The charge, refund or dispute as the API shows it, at the change. */
                data: {
                    object: {
                        /** @description Charge id, derived from (merchant, Idempotency-Key). */
                        id: string;
                        /** @constant */
                        object: "charge";
                        /** @enum {string} */
                        status: "pending" | "processing" | "succeeded" | "failed";
                        amount: number;
                        currency: string;
                        payment_method: string;
                        description: string | null;
                        metadata: {
                            [key: string]: string;
                        };
                        /** @description Unix time (seconds) the charge was created. */
                        created: number;
                        /** @description Unix time (seconds) of the last status change. */
                        updated: number;
                        /** @description Set when status is failed, e.g. card_declined, authentication_required, amount_too_small. */
                        failure_code: string | null;
                        failure_message: string | null;
                        /** @description The card issuer's reason for a decline (the processor's decline_code), e.g. insufficient_funds. */
                        decline_code: string | null;
                        /** @description What refunds hold of amount: pending and succeeded refunds (a refund that fails, even after it succeeded, gives its part back). */
                        amount_refunded: number;
                        /** @description True once amount_refunded equals amount. */
                        refunded: boolean;
                        /** @description True once the cardholder disputed the charge with their bank (an inquiry or a chargeback). */
                        disputed: boolean;
                        /** @description The dispute (GET /v1/disputes/{id}), or null. */
                        dispute: string | null;
                    } | {
                        /** @description Refund id, derived from (merchant, Idempotency-Key). */
                        id: string;
                        /** @constant */
                        object: "refund";
                        charge: string;
                        amount: number;
                        currency: string;
                        /** @enum {string} */
                        status: "pending" | "succeeded" | "failed" | "canceled";
                        reason: ("duplicate" | "fraudulent" | "requested_by_customer") | null;
                        metadata: {
                            [key: string]: string;
                        };
                        /** @description Unix time (seconds) the refund was created. */
                        created: number;
                        /** @description Set when status is failed or canceled: the processor's failure_reason (e.g. expired_or_canceled_card) or refusal. */
                        failure_reason: string | null;
                    } | {
                        id: string;
                        /** @constant */
                        object: "dispute";
                        /** @description The disputed amount: usually the charge’s, less what was refunded before. */
                        amount: number;
                        currency: string;
                        charge: string;
                        /** @description The cardholder's reason, as Stripe gives it: fraudulent, product_not_received, general, … */
                        reason: string;
                        /**
                         * @description Inquiries: warning_needs_response, warning_under_review, warning_closed (nothing withdrawn). Chargebacks: needs_response, under_review, won (the amount comes back) or lost (the amount is gone); a lost one may be appealed (appeal_needs_response, appeal_under_review: still withdrawn), ending won or lost again. prevented: settled by the network before it became a chargeback. An inquiry may escalate into a chargeback.
                         * @enum {string}
                         */
                        status: "warning_needs_response" | "warning_under_review" | "warning_closed" | "needs_response" | "under_review" | "won" | "lost" | "appeal_needs_response" | "appeal_under_review" | "prevented";
                        /** @description Whether the charge may still be refunded: true for an inquiry, false once charged back. */
                        is_charge_refundable: boolean;
                        evidence_details: {
                            /** @description Unix time (seconds) evidence is due, at Stripe; null when none is allowed. */
                            due_by: number | null;
                        };
                        /** @description Unix time (seconds) the dispute was opened. */
                        created: number;
                    };
                };
                /** @description Every delivery attempt, oldest first (GET only; deliveries do not carry it). */
                delivery_attempts: {
                    endpoint: string;
                    created: number;
                    /** @description null when there was no answer (timeout, network error). */
                    status_code: number | null;
                    duration_ms: number;
                    error?: string;
                }[];
            }[];
            /** @description Whether another page follows in this direction. */
            has_more: boolean;
            /** @constant */
            url: "/v1/events";
        };
        /** @description A dispute Stripe opened on a charge: oncepay mirrors it from Stripe’s word, read by id. Respond to it in Stripe’s Dashboard. */
        Dispute: {
            id: string;
            /** @constant */
            object: "dispute";
            /** @description The disputed amount: usually the charge’s, less what was refunded before. */
            amount: number;
            currency: string;
            charge: string;
            /** @description The cardholder's reason, as Stripe gives it: fraudulent, product_not_received, general, … */
            reason: string;
            /**
             * @description Inquiries: warning_needs_response, warning_under_review, warning_closed (nothing withdrawn). Chargebacks: needs_response, under_review, won (the amount comes back) or lost (the amount is gone); a lost one may be appealed (appeal_needs_response, appeal_under_review: still withdrawn), ending won or lost again. prevented: settled by the network before it became a chargeback. An inquiry may escalate into a chargeback.
             * @enum {string}
             */
            status: "warning_needs_response" | "warning_under_review" | "warning_closed" | "needs_response" | "under_review" | "won" | "lost" | "appeal_needs_response" | "appeal_under_review" | "prevented";
            /** @description Whether the charge may still be refunded: true for an inquiry, false once charged back. */
            is_charge_refundable: boolean;
            evidence_details: {
                /** @description Unix time (seconds) evidence is due, at Stripe; null when none is allowed. */
                due_by: number | null;
            };
            /** @description Unix time (seconds) the dispute was opened. */
            created: number;
        };
        DisputeList: {
            /** @constant */
            object: "list";
            /** @description Newest first. */
            data: {
                id: string;
                /** @constant */
                object: "dispute";
                /** @description The disputed amount: usually the charge’s, less what was refunded before. */
                amount: number;
                currency: string;
                charge: string;
                /** @description The cardholder's reason, as Stripe gives it: fraudulent, product_not_received, general, … */
                reason: string;
                /**
                 * @description Inquiries: warning_needs_response, warning_under_review, warning_closed (nothing withdrawn). Chargebacks: needs_response, under_review, won (the amount comes back) or lost (the amount is gone); a lost one may be appealed (appeal_needs_response, appeal_under_review: still withdrawn), ending won or lost again. prevented: settled by the network before it became a chargeback. An inquiry may escalate into a chargeback.
                 * @enum {string}
                 */
                status: "warning_needs_response" | "warning_under_review" | "warning_closed" | "needs_response" | "under_review" | "won" | "lost" | "appeal_needs_response" | "appeal_under_review" | "prevented";
                /** @description Whether the charge may still be refunded: true for an inquiry, false once charged back. */
                is_charge_refundable: boolean;
                evidence_details: {
                    /** @description Unix time (seconds) evidence is due, at Stripe; null when none is allowed. */
                    due_by: number | null;
                };
                /** @description Unix time (seconds) the dispute was opened. */
                created: number;
            }[];
            /** @description Whether another page follows in this direction. */
            has_more: boolean;
            /** @constant */
            url: "/v1/disputes";
        };
        /** @description RFC 9457 problem details. */
        Problem: {
            /**
             * Format: uri
             * @description Stable URI identifying the kind of problem.
             */
            type: string;
            title: string;
            status?: number;
            detail: string;
            errors?: {
                field: string;
                message: string;
            }[];
            /** @description On 422: fields that differ from the first request. */
            differing_fields?: string[];
            /**
             * @description On a 401 for a key of the wrong mode: the mode this stage takes.
             * @enum {string}
             */
            accepted_mode?: "test" | "live";
            /** @description On 403: the scope the restricted key lacks. */
            missing_scope?: string;
            /** @description On charge-not-refundable and charge-disputed: the charge. */
            charge?: string;
            /** @description On charge-disputed: the chargeback that forbids refunds. */
            dispute?: string;
            request_id?: string;
        } & {
            [key: string]: unknown;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listCharges: {
        parameters: {
            query?: {
                limit?: number;
                /** @description The page after this object (its id). */
                starting_after?: string;
                /** @description The page before this object; not with starting_after. */
                ending_before?: string;
                status?: "pending" | "processing" | "succeeded" | "failed";
                /** @description Created at or after (Unix seconds). */
                "created[gte]"?: number;
                /** @description Created at or before (Unix seconds). */
                "created[lte]"?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of charges */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChargeList"];
                };
            };
            /** @description Invalid or unknown parameter, or a cursor that is not one of your charges; errors names it. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope charges:read; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createCharge: {
        parameters: {
            query?: never;
            header: {
                /** @description Scoped to your merchant. The same key and body replays the first response byte for byte (Idempotent-Replayed: true), however soon after the first; the same key with another body is 422. */
                "Idempotency-Key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateChargeRequest"];
            };
        };
        responses: {
            /** @description Accepted: the charge is recorded and will be processed. */
            202: {
                headers: {
                    /** @description /v1/charges/{id} */
                    Location?: string;
                    /** @description Present on a replay. */
                    "Idempotent-Replayed"?: "true";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Charge"];
                };
            };
            /** @description Invalid body or Idempotency-Key; not remembered. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope charges:write; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not application/json. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Idempotency-Key reused with a different body; differing_fields names them. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled; not remembered. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error; retry with the same Idempotency-Key. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getCharge: {
        parameters: {
            query?: never;
            header?: {
                /** @description RFC 7240 wait=N: answer as soon as the object is final, or after N seconds (at most 20); the answer then carries Preference-Applied: wait=N. When the stage's budget of waiting reads is used up, the answer comes at once, with the current state and without Preference-Applied. */
                Prefer?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The charge */
            200: {
                headers: {
                    /** @description Present when Prefer: wait=N was honoured: the N applied. Absent when the budget of waiting reads was used up. */
                    "Preference-Applied"?: string;
                    /** @description Present with Preference-Applied: the answer depends on the Prefer header. */
                    Vary?: "Prefer";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Charge"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope charges:read; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such charge for this merchant. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listRefunds: {
        parameters: {
            query?: {
                limit?: number;
                /** @description The page after this object (its id). */
                starting_after?: string;
                /** @description The page before this object; not with starting_after. */
                ending_before?: string;
                /** @description Only this charge’s refunds. */
                charge?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of refunds */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RefundList"];
                };
            };
            /** @description Invalid or unknown parameter, or a cursor that is not one of your refunds; errors names it. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope refunds:read; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such charge for this merchant (with charge=). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createRefund: {
        parameters: {
            query?: never;
            header: {
                /** @description Scoped to your merchant. The same key and body replays the first response byte for byte (Idempotent-Replayed: true), however soon after the first; the same key with another body is 422. */
                "Idempotency-Key": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateRefundRequest"];
            };
        };
        responses: {
            /** @description Accepted: the refund is recorded, its amount held, and it will be sent to the processor. */
            202: {
                headers: {
                    /** @description /v1/refunds/{id} */
                    Location?: string;
                    /** @description Present on a replay. */
                    "Idempotent-Replayed"?: "true";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refund"];
                };
            };
            /** @description Invalid body or Idempotency-Key; an amount above what is left of the charge (errors names amount); charge-not-refundable (the charge is not succeeded, or fully refunded); or charge-disputed (the charge was charged back: dispute names the chargeback). Not remembered: retry the key once the charge allows it. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope refunds:write; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such charge for this merchant; not remembered. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body is not application/json. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Idempotency-Key reused with a different body; differing_fields names them. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled; not remembered. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error; retry with the same Idempotency-Key. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getRefund: {
        parameters: {
            query?: never;
            header?: {
                /** @description RFC 7240 wait=N: answer as soon as the object is final, or after N seconds (at most 20); the answer then carries Preference-Applied: wait=N. When the stage's budget of waiting reads is used up, the answer comes at once, with the current state and without Preference-Applied. */
                Prefer?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The refund */
            200: {
                headers: {
                    /** @description Present when Prefer: wait=N was honoured: the N applied. Absent when the budget of waiting reads was used up. */
                    "Preference-Applied"?: string;
                    /** @description Present with Preference-Applied: the answer depends on the Prefer header. */
                    Vary?: "Prefer";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Refund"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope refunds:read; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such refund for this merchant. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listWebhookEndpoints: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every endpoint, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointList"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope webhooks:read; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createWebhookEndpoint: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateWebhookEndpointRequest"];
            };
        };
        responses: {
            /** @description The endpoint, with its secret */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpoint"];
                };
            };
            /** @description Invalid body, a refused URL (errors names url), or 16 endpoints already. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope webhooks:write; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteWebhookEndpoint: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        /** @constant */
                        object: "webhook_endpoint";
                        /** @constant */
                        deleted: true;
                    };
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope webhooks:write; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such endpoint for this merchant. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    rollWebhookEndpointSecret: {
        parameters: {
            query?: never;
            header: {
                /** @description Scoped to your merchant. The same key and body replays the first response byte for byte (Idempotent-Replayed: true), however soon after the first; the same key with another body is 422. */
                "Idempotency-Key": string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RollWebhookEndpointSecretRequest"];
            };
        };
        responses: {
            /** @description The endpoint, with its new secret (replayed: Idempotent-Replayed: true) */
            200: {
                headers: {
                    /** @description Present on a replay. */
                    "Idempotent-Replayed"?: "true";
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpoint"];
                };
            };
            /** @description Invalid body (errors names expires_in) or Idempotency-Key; not remembered. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope webhooks:write; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such endpoint for this merchant. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Other rolls of the same endpoint kept winning the race; retry with the same Idempotency-Key. */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A body that is not application/json. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Idempotency-Key reused with another endpoint or body; differing_fields names them. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unexpected error; retry with the same Idempotency-Key. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listDisputes: {
        parameters: {
            query?: {
                limit?: number;
                /** @description The page after this object (its id). */
                starting_after?: string;
                /** @description The page before this object; not with starting_after. */
                ending_before?: string;
                /** @description Only this charge’s dispute. */
                charge?: string;
                "created[gte]"?: number;
                "created[lte]"?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of disputes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DisputeList"];
                };
            };
            /** @description Invalid or unknown parameter, or a cursor that is not one of your disputes; errors names it. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope disputes:read; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such charge for this merchant (with charge=). */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getDispute: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The dispute */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Dispute"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope disputes:read; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such dispute for this merchant. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    receiveProcessorEvent: {
        parameters: {
            query?: never;
            header: {
                /** @description t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> */
                "Stripe-Signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": Record<string, never>;
            };
        };
        responses: {
            /** @description Received (recorded and queued), or ignored (a type oncepay does not listen to) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        received: true;
                        /** @constant */
                        ignored?: true;
                    };
                };
            };
            /** @description signature-invalid: missing, forged, re-serialised, or older than 5 minutes. Nothing changed. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Could not record or queue it: Stripe sends it again. */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listEvents: {
        parameters: {
            query?: {
                limit?: number;
                /** @description The page after this object (its id). */
                starting_after?: string;
                /** @description The page before this object; not with starting_after. */
                ending_before?: string;
                type?: "charge.succeeded" | "charge.failed" | "refund.succeeded" | "refund.failed" | "charge.dispute.created" | "charge.dispute.updated" | "charge.dispute.closed";
                "created[gte]"?: number;
                "created[lte]"?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of events */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventList"];
                };
            };
            /** @description Invalid or unknown parameter; errors names it. */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope webhooks:read; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getEvent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The event */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventWithAttempts"];
                };
            };
            /** @description Missing, unknown, revoked or expired API key (the answer does not say which), or a key of the mode this stage does not take (then accepted_mode names the one it takes); not remembered. */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A restricted key without the scope webhooks:read; missing_scope names it. Not remembered. */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such event for this merchant. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Throttled by API Gateway (the stage’s or this method’s rate); not remembered: retry after a pause. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function failed (API Gateway’s answer): retry with the same Idempotency-Key. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The function did not answer within API Gateway’s 29 s: retry with the same Idempotency-Key. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deliverEvent: {
        parameters: {
            query?: never;
            header: {
                "Oncepay-Signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Event"];
            };
        };
        responses: {
            /** @description Received (any 2xx) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
