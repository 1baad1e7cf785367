import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { StageConfig } from './stage-config.ts';

/**
 * TLS 1.3 and 1.2 only (forward-secret ciphers), for the default endpoint and a custom domain.
 * An enhanced policy needs an endpoint access mode: `STRICT` refuses requests whose SNI does
 * not match the host, or that arrive through another endpoint type.
 */
export const API_SECURITY_POLICY = apigateway.SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09;

/**
 * AWS's managed rule groups in front of the API. `countOnly` rules are counted, not enforced:
 * Stripe's signed events exceed CommonRuleSet's 8 KB body limit (API Gateway's 10 MB and the
 * functions' own limits still apply). `skipsStripeEvents`: the group does not look at
 * `POST /webhooks/stripe`.
 */
export const MANAGED_RULE_GROUPS = [
  { name: 'AWSManagedRulesCommonRuleSet', countOnly: ['SizeRestrictions_BODY'], skipsStripeEvents: true },
  { name: 'AWSManagedRulesKnownBadInputsRuleSet', countOnly: [], skipsStripeEvents: false },
  { name: 'AWSManagedRulesAmazonIpReputationList', countOnly: [], skipsStripeEvents: false },
] as const satisfies ReadonlyArray<{ name: string; countOnly: readonly string[]; skipsStripeEvents: boolean }>;

/**
 * Stripe's signed events are left out of the body rules (cross-site scripting, file inclusion):
 * a merchant's description or metadata inside an event may look like an attack, and a blocked
 * event would only be heard at the next catch-up. Their signature authenticates them.
 */
const NOT_STRIPE_EVENTS = {
  notStatement: {
    statement: {
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'ENDS_WITH',
        searchString: '/webhooks/stripe',
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    },
  },
};

const RATE_LIMITED_BODY = 'RateLimited';
/** The rate limit's answer, the same problem API Gateway's own throttling gives. */
const RATE_LIMITED_PROBLEM = {
  type: 'https://oncepay.dev/problems/rate-limited',
  title: 'Too many requests',
  status: 429,
  detail: 'Too many requests from this address. Slow down and retry with the same Idempotency-Key.',
};

export interface ApiEdgeProps {
  config: StageConfig;
  api: apigateway.RestApi;
}

/**
 * What stands between clients and the REST API: the TLS policy, an optional custom domain
 * (whose certificate comes from the stage config; the `execute-api` endpoint is then off) and
 * an optional WAF web ACL: a rate-based rule that blocks one client IP flooding the API, and
 * AWS's managed rule groups (common exploits, known bad inputs, IP reputation).
 */
export class ApiEdge extends Construct {
  constructor(scope: Construct, id: string, props: ApiEdgeProps) {
    super(scope, id);
    const { config, api } = props;
    const restApi = api.node.defaultChild as apigateway.CfnRestApi;
    restApi.securityPolicy = API_SECURITY_POLICY;
    restApi.endpointAccessMode = apigateway.EndpointAccessMode.STRICT;

    if (config.api.customDomain) {
      const domain = new apigateway.DomainName(this, 'CustomDomain', {
        domainName: config.api.customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', config.api.customDomain.certificateArn),
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: API_SECURITY_POLICY,
        endpointAccessMode: apigateway.EndpointAccessMode.STRICT,
      });
      domain.addBasePathMapping(api, { stage: api.deploymentStage });
      new CfnOutput(Stack.of(this), 'ApiDomainTarget', {
        value: domain.domainNameAliasDomainName,
        description: `Point ${config.api.customDomain.domainName} here (CNAME, or a Route 53 alias)`,
      });
    }

    if (config.api.waf) {
      const metricName = `oncepay-${config.stage}-waf`;
      const visibility = (name: string) => ({ cloudWatchMetricsEnabled: true, metricName: `${metricName}-${name}`, sampledRequestsEnabled: true });
      const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
        scope: 'REGIONAL',
        defaultAction: { allow: {} },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true },
        // A WAF custom response takes precedence over API Gateway's WAF_FILTERED response: the rate
        // limit answers 429 (retry later), the managed rules' blocks answer WAF_FILTERED's 403.
        customResponseBodies: {
          [RATE_LIMITED_BODY]: { contentType: 'APPLICATION_JSON', content: JSON.stringify(RATE_LIMITED_PROBLEM) },
        },
        rules: [
          {
            name: 'RateLimitPerClientIp',
            priority: 0,
            action: {
              block: {
                // WAF sets the content type from the body's (it refuses a Content-Type header): application/json.
                customResponse: { responseCode: 429, customResponseBodyKey: RATE_LIMITED_BODY },
              },
            },
            statement: { rateBasedStatement: { limit: config.api.waf.rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
            visibilityConfig: visibility('rate'),
          },
          ...MANAGED_RULE_GROUPS.map((group, index) => ({
            name: group.name,
            priority: index + 1,
            overrideAction: { none: {} },
            statement: {
              managedRuleGroupStatement: {
                vendorName: 'AWS',
                name: group.name,
                ...(group.countOnly.length > 0 ? { ruleActionOverrides: group.countOnly.map((name) => ({ name, actionToUse: { count: {} } })) } : {}),
                ...(group.skipsStripeEvents ? { scopeDownStatement: NOT_STRIPE_EVENTS } : {}),
              },
            },
            visibilityConfig: visibility(group.name),
          })),
        ],
      });
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: api.deploymentStage.stageArn,
        webAclArn: acl.attrArn,
      });
    }
  }
}
