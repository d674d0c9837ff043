//! Building the SDK clients, once per (region, role).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use secrecy::ExposeSecret;
use tokio::sync::OnceCell;

use super::counter::{AwsCallCounter, CountingInterceptor};
use super::AwsSettings;
use crate::environments::model::{AwsRegion, Environment, RoleArn};

/// The session name Gantry's assumed-role sessions carry (CloudTrail shows it).
pub const ROLE_SESSION_NAME: &str = "gantry";

/// Cost Explorer's one endpoint is in us-east-1.
pub const COST_EXPLORER_REGION: &str = "us-east-1";

/// Builds and caches the AWS clients. Cheap to clone (an `Arc` inside); make
/// one per process and share it.
#[derive(Debug, Clone)]
pub struct AwsClients {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: AwsSettings,
    calls: AwsCallCounter,
    http: SharedHttpClient,
    /// Per region: the default-chain config every client there starts from.
    base: Mutex<HashMap<AwsRegion, Arc<OnceCell<SdkConfig>>>>,
    /// Per (region, role): the clients, holding the (assumed-role) credentials
    /// cache, so credentials are reused across polls.
    envs: Mutex<HashMap<ClientKey, Arc<OnceCell<EnvClients>>>>,
    /// Per role: the Cost Explorer client (a global service, in us-east-1).
    cost_explorer: Mutex<HashMap<Option<RoleArn>, Arc<OnceCell<aws_sdk_costexplorer::Client>>>>,
}

type ClientKey = (AwsRegion, Option<RoleArn>);

/// The clients for one environment's region and role.
#[derive(Debug, Clone)]
pub struct EnvClients {
    pub ecs: aws_sdk_ecs::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub rds: aws_sdk_rds::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl AwsClients {
    /// Nothing is loaded or sent until the first [`Self::for_environment`].
    pub fn new(settings: AwsSettings, calls: AwsCallCounter) -> Self {
        // One connection pool for every client; rustls on ring (already in the
        // tree for reqwest) rather than the SDK's default aws-lc-rs.
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        Self {
            inner: Arc::new(Inner {
                settings,
                calls,
                http,
                base: Mutex::default(),
                envs: Mutex::default(),
                cost_explorer: Mutex::default(),
            }),
        }
    }

    pub fn settings(&self) -> &AwsSettings {
        &self.inner.settings
    }

    /// The counter every client built here reports to.
    pub fn calls(&self) -> &AwsCallCounter {
        &self.inner.calls
    }

    /// The clients for `env`'s region, with its role assumed when it names
    /// one (session name [`ROLE_SESSION_NAME`]). Built on first use, then
    /// cached per (region, role). Never fails: a credentials problem shows up
    /// as an error of the first request.
    pub async fn for_environment(&self, env: &Environment) -> EnvClients {
        let key = (env.region.clone(), env.role_arn.clone());
        let cell = {
            let mut envs = self.inner.envs.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(envs.entry(key).or_default())
        };
        cell.get_or_init(|| self.build(&env.region, env.role_arn.as_ref()))
            .await
            .clone()
    }

    /// The Cost Explorer client: CE is global, served from us-east-1 whatever
    /// the environments' regions; credentials from the default chain, or
    /// `role` assumed on top (the payer or a member account's cost role).
    /// Same endpoint override, timeouts, retries and call counter as the rest.
    pub async fn cost_explorer(&self, role: Option<&RoleArn>) -> aws_sdk_costexplorer::Client {
        let cell = {
            let mut clients = self
                .inner
                .cost_explorer
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            Arc::clone(clients.entry(role.cloned()).or_default())
        };
        cell.get_or_init(|| async {
            let region = AwsRegion::parse(COST_EXPLORER_REGION)
                .unwrap_or_else(|_| unreachable!("{COST_EXPLORER_REGION} is a valid region"));
            let config = self.config_for(&region, role).await;
            aws_sdk_costexplorer::Client::from_conf(
                aws_sdk_costexplorer::config::Builder::from(&config)
                    .interceptor(CountingInterceptor::new(self.inner.calls.clone(), "ce"))
                    .build(),
            )
        })
        .await
        .clone()
    }

    /// The base config of `region` with `role` assumed on top, if any.
    async fn config_for(&self, region: &AwsRegion, role: Option<&RoleArn>) -> SdkConfig {
        let base = self.base_config(region).await;
        match role {
            None => base,
            Some(role) => {
                let provider = AssumeRoleProvider::builder(role.as_str())
                    .session_name(ROLE_SESSION_NAME)
                    .configure(&base)
                    .build()
                    .await;
                base.into_builder()
                    .credentials_provider(SharedCredentialsProvider::new(provider))
                    .build()
            }
        }
    }

    async fn build(&self, region: &AwsRegion, role: Option<&RoleArn>) -> EnvClients {
        let config = self.config_for(region, role).await;
        tracing::debug!(region = %region, role = role.map(RoleArn::as_str), "built AWS clients");
        let counting =
            |service: &'static str| CountingInterceptor::new(self.inner.calls.clone(), service);
        EnvClients {
            ecs: aws_sdk_ecs::Client::from_conf(
                aws_sdk_ecs::config::Builder::from(&config)
                    .interceptor(counting("ecs"))
                    .build(),
            ),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(
                aws_sdk_elasticloadbalancingv2::config::Builder::from(&config)
                    .interceptor(counting("elbv2"))
                    .build(),
            ),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(&config)
                    .interceptor(counting("cloudwatch"))
                    .build(),
            ),
            rds: aws_sdk_rds::Client::from_conf(
                aws_sdk_rds::config::Builder::from(&config)
                    .interceptor(counting("rds"))
                    .build(),
            ),
            ssm: aws_sdk_ssm::Client::from_conf(
                aws_sdk_ssm::config::Builder::from(&config)
                    .interceptor(counting("ssm"))
                    .build(),
            ),
        }
    }

    /// The default-chain config for `region`, loaded once.
    async fn base_config(&self, region: &AwsRegion) -> SdkConfig {
        let cell = {
            let mut base = self.inner.base.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(base.entry(region.clone()).or_default())
        };
        cell.get_or_init(|| self.load_base(region)).await.clone()
    }

    async fn load_base(&self, region: &AwsRegion) -> SdkConfig {
        let s = &self.inner.settings;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .http_client(self.inner.http.clone())
            .retry_config(RetryConfig::standard().with_max_attempts(s.max_attempts.max(1)))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(s.connect_timeout)
                    .operation_timeout(s.operation_timeout)
                    .build(),
            );
        if let Some(url) = &s.endpoint_url {
            loader = loader.endpoint_url(url.as_str().trim_end_matches('/'));
        }
        if let Some(keys) = &s.static_credentials {
            loader = loader.credentials_provider(Credentials::new(
                keys.access_key_id.clone(),
                keys.secret_access_key.expose_secret().to_owned(),
                None,
                None,
                "gantry-static",
            ));
        }
        loader.load().await
    }
}
