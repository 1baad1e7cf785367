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

export interface ApiEdgeProps {
  config: StageConfig;
  api: apigateway.RestApi;
}

/**
 * What stands between clients and the REST API: the TLS policy, an optional custom domain
 * (whose certificate comes from the stage config; the `execute-api` endpoint is then off) and
 * an optional WAF web ACL whose rate-based rule blocks one client IP flooding the API.
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
      const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
        scope: 'REGIONAL',
        defaultAction: { allow: {} },
        visibilityConfig: { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true },
        rules: [
          {
            name: 'RateLimitPerClientIp',
            priority: 0,
            action: { block: {} },
            statement: { rateBasedStatement: { limit: config.api.waf.rateLimitPer5Minutes, aggregateKeyType: 'IP' } },
            visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: `${metricName}-rate`, sampledRequestsEnabled: true },
          },
        ],
      });
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: api.deploymentStage.stageArn,
        webAclArn: acl.attrArn,
      });
    }
  }
}
