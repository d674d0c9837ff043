//! OpenID Connect with the `openidconnect` crate: discovery, the authorization
//! URL (Authorization Code + PKCE S256, state, nonce), the code exchange and
//! ID token verification (signature via the provider's JWKS, issuer, audience,
//! expiry, nonce; `alg: none` refused), and the groups claim from the ID token
//! or, when absent there, from userinfo.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenVerifier, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope,
    SubjectIdentifier, TokenResponse, UserInfoClaims,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

/// Claims beyond the standard ones, kept as JSON so the groups claim's name
/// can come from config (`groups`, `cognito:groups`, `roles`…).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub other: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for ExtraClaims {}

pub type GantryIdToken = IdToken<
    ExtraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_url: String,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    pub post_logout_redirect_url: String,
}

/// Why a sign-in was refused; each has a message a user (or an admin reading
/// the log) can act on. None carries a token or a secret.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be reached or described itself incorrectly: {0}")]
    Discovery(String),
    #[error("the identity provider refused the authorization code (expired, already used, or not ours): {0}")]
    CodeExchange(String),
    #[error("the identity provider returned no ID token")]
    NoIdToken,
    #[error("the ID token was rejected: {0}")]
    IdToken(String),
    #[error("the identity provider's userinfo could not be read: {0}")]
    UserInfo(String),
}

impl OidcError {
    /// What the person signing in is told: the kind of failure, never the
    /// provider's answer nor its URLs (those go to the log).
    pub fn summary(&self) -> &'static str {
        match self {
            OidcError::Discovery(_) => "the identity provider could not be reached",
            OidcError::CodeExchange(_) => {
                "the identity provider refused the authorization code (expired, already used, or not ours)"
            }
            OidcError::NoIdToken => "the identity provider returned no ID token",
            OidcError::IdToken(_) => "the ID token was rejected",
            OidcError::UserInfo(_) => "the identity provider's userinfo could not be read",
        }
    }
}

/// What a verified sign-in tells us about the user.
#[derive(Debug, Clone)]
pub struct VerifiedUser {
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
    /// The raw ID token, kept server-side for RP-initiated logout.
    pub id_token: SecretString,
    /// Kept server-side to re-read the groups later, when the provider gives one.
    pub refresh_token: Option<SecretString>,
}

/// Why the groups could not be re-read.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The provider refused the refresh token (revoked, expired, user
    /// removed) or answered for someone else: the session must end.
    #[error("the identity provider no longer vouches for the user: {0}")]
    Revoked(String),
    /// The provider could not be asked (down, timeout, bad answer): try later.
    #[error("the identity provider could not be asked: {0}")]
    Unavailable(String),
}

/// The user's groups now, and the refresh token to use next time.
#[derive(Debug, Clone)]
pub struct RefreshedGroups {
    pub groups: Vec<String>,
    pub refresh_token: Option<SecretString>,
}

/// The start of a sign-in: where to send the browser and what to remember.
pub struct AuthorizationRequest {
    pub url: Url,
    pub state: String,
    pub nonce: SecretString,
    pub pkce_verifier: SecretString,
}

pub struct OidcProvider {
    /// Replaced when the provider rotates its signing keys (see `refresh_keys`).
    client: RwLock<Arc<DiscoveredClient>>,
    http: openidconnect::reqwest::Client,
    settings: OidcSettings,
    end_session: Option<Url>,
    /// When the keys were last re-read, to re-read at most once a minute.
    last_refresh: Mutex<Option<Instant>>,
}

/// Shortest time between two re-reads of the provider's keys.
const KEY_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.settings.issuer_url)
            .field("client_id", &self.settings.client_id)
            .finish_non_exhaustive()
    }
}

impl OidcProvider {
    /// Reads the provider's discovery document (and its JWKS).
    pub async fn discover(settings: OidcSettings) -> Result<Self, OidcError> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would open the token and userinfo calls to SSRF.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| OidcError::Discovery(e.to_string()))?;
        let issuer = IssuerUrl::new(settings.issuer_url.clone())
            .map_err(|e| OidcError::Discovery(format!("issuer URL: {e}")))?;
        let client = build_client(&http, &settings).await?;
        let end_session = discover_end_session(&http, &issuer).await;
        Ok(Self {
            client: RwLock::new(Arc::new(client)),
            http,
            settings,
            end_session,
            last_refresh: Mutex::new(None),
        })
    }

    fn client(&self) -> Arc<DiscoveredClient> {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the discovery document and keys after a token signed with an
    /// unknown key (the provider rotated its keys). At most once a minute, so a
    /// stream of forged tokens cannot make Gantry hammer the provider.
    async fn refresh_keys(&self) -> bool {
        {
            let mut last = self
                .last_refresh
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < KEY_REFRESH_INTERVAL) {
                return false;
            }
            *last = Some(Instant::now());
        }
        match build_client(&self.http, &self.settings).await {
            Ok(client) => {
                *self.client.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(client);
                tracing::info!("re-read the identity provider's signing keys");
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not re-read the identity provider's keys");
                false
            }
        }
    }

    /// The provider's authorization URL with fresh state, nonce and PKCE (S256).
    pub fn authorization_request(&self) -> AuthorizationRequest {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self
            .settings
            .scopes
            .iter()
            .filter(|s| s.as_str() != "openid")
        {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        AuthorizationRequest {
            url,
            state: state.secret().clone(),
            nonce: SecretString::from(nonce.secret().clone()),
            pkce_verifier: SecretString::from(verifier.secret().clone()),
        }
    }

    /// Exchanges the code, verifies the ID token against `nonce`, and reads
    /// the groups (from the ID token, else from userinfo).
    pub async fn complete(
        &self,
        code: &str,
        pkce_verifier: &SecretString,
        nonce: &SecretString,
    ) -> Result<VerifiedUser, OidcError> {
        let client = self.client();
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::CodeExchange(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(
                pkce_verifier.expose_secret().to_owned(),
            ))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::CodeExchange(error_chain(&e)))?;
        let raw = response.id_token().ok_or(OidcError::NoIdToken)?.to_string();
        let verify = |client: &DiscoveredClient| {
            verify_id_token(
                &client.id_token_verifier(),
                &raw,
                nonce,
                &self.settings.groups_claim,
            )
        };
        let mut user = match verify(&client) {
            Err(OidcError::IdToken(reason))
                if reason.contains("No matching key") && self.refresh_keys().await =>
            {
                verify(&self.client())?
            }
            other => other?,
        };
        if user.groups.is_empty() {
            user.groups = self
                .userinfo_groups(response.access_token(), &user.subject)
                .await?;
        }
        user.refresh_token = response
            .refresh_token()
            .map(|t| SecretString::from(t.secret().clone()));
        Ok(user)
    }

    /// Re-reads `subject`'s groups with the refresh token: from the new ID
    /// token when the provider sends one (signature, issuer, audience and
    /// expiry checked; it must name the same subject), else from userinfo.
    pub async fn refresh_groups(
        &self,
        refresh_token: &SecretString,
        subject: &str,
    ) -> Result<RefreshedGroups, RefreshError> {
        use openidconnect::core::CoreErrorResponseType;
        use openidconnect::RequestTokenError;
        let client = self.client();
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response = client
            .exchange_refresh_token(&token)
            .map_err(|e| RefreshError::Unavailable(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| match &e {
                RequestTokenError::ServerResponse(answer)
                    if matches!(
                        answer.error(),
                        CoreErrorResponseType::InvalidGrant
                            | CoreErrorResponseType::UnauthorizedClient
                    ) =>
                {
                    RefreshError::Revoked(error_chain(&e))
                }
                _ => RefreshError::Unavailable(error_chain(&e)),
            })?;
        let mut groups = Vec::new();
        if let Some(id_token) = response.id_token() {
            // Re-read with our claims type: the groups claim's name is config.
            let id_token: GantryIdToken =
                id_token
                    .to_string()
                    .parse()
                    .map_err(|e: serde_json::Error| {
                        RefreshError::Revoked(format!("refreshed ID token: {e}"))
                    })?;
            // A refreshed ID token carries no new nonce (OIDC Core 12.2).
            let claims = id_token
                .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
                .map_err(|e| {
                    RefreshError::Revoked(format!("refreshed ID token: {}", error_chain(&e)))
                })?;
            if claims.subject().as_str() != subject {
                return Err(RefreshError::Revoked(
                    "the refreshed ID token names another subject".to_owned(),
                ));
            }
            groups = groups_from(
                &claims.additional_claims().other,
                &self.settings.groups_claim,
            );
        }
        if groups.is_empty() {
            groups = self
                .userinfo_groups(response.access_token(), subject)
                .await
                .map_err(|e| RefreshError::Unavailable(e.to_string()))?;
        }
        Ok(RefreshedGroups {
            groups,
            refresh_token: response
                .refresh_token()
                .map(|t| SecretString::from(t.secret().clone())),
        })
    }

    /// Groups from userinfo, whose `sub` must be the ID token's (OIDC Core 5.3.2).
    async fn userinfo_groups(
        &self,
        access_token: &AccessToken,
        subject: &str,
    ) -> Result<Vec<String>, OidcError> {
        let client = self.client();
        let request = match client.user_info(
            access_token.clone(),
            Some(SubjectIdentifier::new(subject.to_owned())),
        ) {
            Ok(request) => request,
            // No userinfo endpoint: the ID token was all there is.
            Err(_) => return Ok(Vec::new()),
        };
        let claims: UserInfoClaims<ExtraClaims, CoreGenderClaim> = request
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::UserInfo(error_chain(&e)))?;
        Ok(groups_from(
            &claims.additional_claims().other,
            &self.settings.groups_claim,
        ))
    }

    /// The origin sign-out forms may lead to (the provider's logout endpoint).
    pub fn origin(&self) -> Option<String> {
        self.end_session
            .as_ref()
            .map(|u| u.origin().ascii_serialization())
    }

    /// The provider's logout URL (RP-initiated logout) when it advertises one.
    pub fn logout_url(&self, id_token: Option<&SecretString>) -> Option<Url> {
        let mut url = self.end_session.clone()?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(token) = id_token {
                query.append_pair("id_token_hint", token.expose_secret());
            }
            query.append_pair("client_id", &self.settings.client_id);
            query.append_pair(
                "post_logout_redirect_uri",
                &self.settings.post_logout_redirect_url,
            );
        }
        Some(url)
    }
}

/// Discovery (metadata and signing keys) and the client built from it.
async fn build_client(
    http: &openidconnect::reqwest::Client,
    settings: &OidcSettings,
) -> Result<DiscoveredClient, OidcError> {
    let issuer = IssuerUrl::new(settings.issuer_url.clone())
        .map_err(|e| OidcError::Discovery(format!("issuer URL: {e}")))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
    let redirect = RedirectUrl::new(settings.redirect_url.clone())
        .map_err(|e| OidcError::Discovery(format!("redirect URL: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.client_id.clone()),
        Some(ClientSecret::new(
            settings.client_secret.expose_secret().to_owned(),
        )),
    )
    .set_redirect_uri(redirect))
}

/// `end_session_endpoint` is not part of the core metadata type; read it from
/// the discovery document directly.
async fn discover_end_session(
    http: &openidconnect::reqwest::Client,
    issuer: &IssuerUrl,
) -> Option<Url> {
    #[derive(Deserialize)]
    struct Logout {
        end_session_endpoint: Option<Url>,
    }
    let url = issuer.join(".well-known/openid-configuration").ok()?;
    let doc: Logout = http.get(url).send().await.ok()?.json().await.ok()?;
    doc.end_session_endpoint
}

/// Verifies a raw ID token: signature (JWKS), issuer, audience, expiry,
/// nonce; unsigned tokens are refused by the verifier. Public for tests.
pub fn verify_id_token(
    verifier: &IdTokenVerifier<'_, openidconnect::core::CoreJsonWebKey>,
    raw: &str,
    nonce: &SecretString,
    groups_claim: &str,
) -> Result<VerifiedUser, OidcError> {
    let token: GantryIdToken = raw
        .parse()
        .map_err(|e: serde_json::Error| OidcError::IdToken(format!("malformed: {e}")))?;
    let claims = token
        .claims(verifier, &Nonce::new(nonce.expose_secret().to_owned()))
        .map_err(|e| OidcError::IdToken(error_chain(&e)))?;
    let subject = claims.subject().as_str().to_owned();
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .or_else(|| claims.preferred_username().map(|u| u.as_str().to_owned()))
        .unwrap_or_else(|| subject.clone());
    Ok(VerifiedUser {
        email: claims.email().map(|e| e.as_str().to_owned()),
        groups: groups_from(&claims.additional_claims().other, groups_claim),
        name,
        subject,
        id_token: SecretString::from(raw.to_owned()),
        refresh_token: None,
    })
}

/// A groups claim may be a list of strings or a single string.
fn groups_from(claims: &HashMap<String, serde_json::Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
