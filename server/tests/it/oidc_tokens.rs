//! ID token verification against crafted tokens: what
//! `gantry_server::auth::oidc::verify_id_token` accepts and every way it must
//! refuse (issuer, audience, expiry, nonce, tampering, `alg: none`, foreign
//! keys, algorithm confusion, malformed text).
//!
//! Tokens are signed with the test-only keys in `tests/fixtures/` (see the
//! README there); the verifier is built the way `OidcProvider` builds it for a
//! confidential client, over a JWKS holding only the first key's public half.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, Utc};
use gantry_server::auth::oidc::{verify_id_token, ExtraClaims, GantryIdToken, OidcError};
use openidconnect::core::{
    CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, ClientId, ClientSecret, EndUserEmail, EndUserName, EndUserUsername, IdTokenClaims,
    IssuerUrl, JsonWebKeyId, LocalizedClaim, Nonce, PrivateSigningKey, StandardClaims,
    SubjectIdentifier,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

const KEY_PEM: &str = include_str!("../fixtures/test-rsa-key.pem");
const OTHER_KEY_PEM: &str = include_str!("../fixtures/test-rsa-key-other.pem");
const KID: &str = "test-key-1";
const ISSUER: &str = "https://idp.example.test";
const CLIENT_ID: &str = "gantry-test";
const CLIENT_SECRET: &str = "test-client-secret";
const NONCE: &str = "nonce-0123456789";

fn key() -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(KEY_PEM, Some(JsonWebKeyId::new(KID.to_owned()))).unwrap()
}

fn other_key(kid: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(OTHER_KEY_PEM, Some(JsonWebKeyId::new(kid.to_owned())))
        .unwrap()
}

/// The verifier as `OidcProvider` gets it from `CoreClient::id_token_verifier`
/// for a confidential client whose provider advertises RS256.
fn verifier() -> CoreIdTokenVerifier<'static> {
    CoreIdTokenVerifier::new_confidential_client(
        ClientId::new(CLIENT_ID.to_owned()),
        ClientSecret::new(CLIENT_SECRET.to_owned()),
        IssuerUrl::new(ISSUER.to_owned()).unwrap(),
        CoreJsonWebKeySet::new(vec![key().as_verification_key()]),
    )
    .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256])
}

fn nonce(value: &str) -> SecretString {
    SecretString::from(value.to_owned())
}

/// Claims of a token that should pass, with `extra` as additional claims.
fn claims(extra: Value) -> IdTokenClaims<ExtraClaims, openidconnect::core::CoreGenderClaim> {
    let now = Utc::now();
    let standard = StandardClaims::new(SubjectIdentifier::new("user-42".to_owned()))
        .set_name(Some(LocalizedClaim::from(EndUserName::new(
            "Ursula User".to_owned(),
        ))))
        .set_email(Some(EndUserEmail::new("ursula@example.test".to_owned())));
    IdTokenClaims::new(
        IssuerUrl::new(ISSUER.to_owned()).unwrap(),
        vec![Audience::new(CLIENT_ID.to_owned())],
        now + Duration::minutes(5),
        now,
        standard,
        serde_json::from_value::<ExtraClaims>(extra).unwrap(),
    )
    .set_nonce(Some(Nonce::new(NONCE.to_owned())))
}

fn sign(
    claims: IdTokenClaims<ExtraClaims, openidconnect::core::CoreGenderClaim>,
    key: &CoreRsaPrivateSigningKey,
) -> String {
    GantryIdToken::new(
        claims,
        key,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        None,
        None,
    )
    .unwrap()
    .to_string()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The three parts of a compact JWS, the first two decoded as JSON.
fn split(token: &str) -> (Value, Value, String) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let payload = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    (header, payload, parts[2].to_owned())
}

fn join(header: &Value, payload: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    )
}

/// The refusal's message; panics if the token was accepted or refused for
/// another reason than the ID token itself.
fn refusal(raw: &str, nonce_value: &str) -> String {
    match verify_id_token(&verifier(), raw, &nonce(nonce_value), "groups") {
        Ok(user) => panic!("accepted a bad token for {:?}", user.subject),
        Err(e @ OidcError::IdToken(_)) => {
            let text = e.to_string();
            assert!(
                text.starts_with("the ID token was rejected: "),
                "message names the ID token: {text}"
            );
            text
        }
        Err(other) => panic!("wrong error kind: {other:?}"),
    }
}

fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "expected {needle:?} in: {text}");
}

#[test]
fn a_valid_token_gives_subject_name_email_groups() {
    let raw = sign(
        claims(json!({ "groups": ["gantry-operators", "staff"] })),
        &key(),
    );
    let user = verify_id_token(&verifier(), &raw, &nonce(NONCE), "groups").unwrap();
    assert_eq!(user.subject, "user-42");
    assert_eq!(user.name, "Ursula User");
    assert_eq!(user.email.as_deref(), Some("ursula@example.test"));
    assert_eq!(user.groups, ["gantry-operators", "staff"]);
    assert_eq!(
        user.id_token.expose_secret(),
        raw,
        "kept for RP-initiated logout"
    );
}

#[test]
fn groups_come_from_the_configured_claim() {
    let raw = sign(
        claims(json!({
            "cognito:groups": ["gantry-admins"],
            "groups": ["not-this-one"],
            "roles": "gantry-approvers",
        })),
        &key(),
    );
    let verify = |claim: &str| {
        verify_id_token(&verifier(), &raw, &nonce(NONCE), claim)
            .unwrap()
            .groups
    };
    assert_eq!(verify("cognito:groups"), ["gantry-admins"]);
    assert_eq!(verify("groups"), ["not-this-one"]);
    // A single string is one group.
    assert_eq!(verify("roles"), ["gantry-approvers"]);
    // An absent claim is no group (the caller then asks userinfo).
    assert!(verify("absent").is_empty());

    // Non-string entries are ignored, not an error.
    let raw = sign(
        claims(json!({ "groups": ["ok", 7, null, {"x": 1}] })),
        &key(),
    );
    let user = verify_id_token(&verifier(), &raw, &nonce(NONCE), "groups").unwrap();
    assert_eq!(user.groups, ["ok"]);
}

#[test]
fn the_name_falls_back_to_preferred_username_then_subject() {
    let base = |username: Option<&str>| {
        let mut c = claims(json!({}));
        let standard = StandardClaims::new(SubjectIdentifier::new("user-42".to_owned()))
            .set_preferred_username(username.map(|u| EndUserUsername::new(u.to_owned())));
        c = IdTokenClaims::new(
            c.issuer().clone(),
            c.audiences().clone(),
            c.expiration(),
            c.issue_time(),
            standard,
            ExtraClaims::default(),
        )
        .set_nonce(Some(Nonce::new(NONCE.to_owned())));
        sign(c, &key())
    };
    let user =
        verify_id_token(&verifier(), &base(Some("ursula")), &nonce(NONCE), "groups").unwrap();
    assert_eq!(user.name, "ursula");
    let user = verify_id_token(&verifier(), &base(None), &nonce(NONCE), "groups").unwrap();
    assert_eq!(user.name, "user-42");
    assert_eq!(user.email, None);
    assert!(user.groups.is_empty());
}

#[test]
fn a_wrong_issuer_is_refused() {
    let raw = sign(
        claims(json!({}))
            .set_issuer(IssuerUrl::new("https://evil.example.test".to_owned()).unwrap()),
        &key(),
    );
    let text = refusal(&raw, NONCE);
    assert_contains(&text, "Invalid issuer");
    assert_contains(&text, "https://evil.example.test");
}

#[test]
fn a_wrong_audience_is_refused() {
    let raw = sign(
        claims(json!({})).set_audiences(vec![Audience::new("another-app".to_owned())]),
        &key(),
    );
    let text = refusal(&raw, NONCE);
    assert_contains(&text, "Invalid audiences");
    assert_contains(&text, "another-app");

    // Our client id plus an audience we do not trust: refused too.
    let raw = sign(
        claims(json!({})).set_audiences(vec![
            Audience::new(CLIENT_ID.to_owned()),
            Audience::new("another-app".to_owned()),
        ]),
        &key(),
    );
    let text = refusal(&raw, NONCE);
    assert_contains(&text, "Invalid audiences");
    assert_contains(&text, "not a trusted audience");
}

#[test]
fn an_expired_token_is_refused() {
    let now = Utc::now();
    let raw = sign(
        claims(json!({}))
            .set_issue_time(now - Duration::hours(2))
            .set_expiration(now - Duration::minutes(1)),
        &key(),
    );
    let text = refusal(&raw, NONCE);
    assert_contains(&text, "Expired");
}

#[test]
fn a_wrong_or_missing_nonce_is_refused() {
    let raw = sign(claims(json!({})), &key());
    let text = refusal(&raw, "some-other-nonce");
    assert_contains(&text, "Invalid nonce");
    assert_contains(&text, "nonce mismatch");

    let raw = sign(claims(json!({})).set_nonce(None), &key());
    let text = refusal(&raw, NONCE);
    assert_contains(&text, "Invalid nonce");
    assert_contains(&text, "missing nonce claim");
}

#[test]
fn a_tampered_payload_is_refused() {
    let raw = sign(claims(json!({ "groups": ["gantry-viewers"] })), &key());
    let (header, mut payload, signature) = split(&raw);

    // Another user, same signature.
    payload["sub"] = json!("admin");
    let text = refusal(&join(&header, &payload, &signature), NONCE);
    assert_contains(&text, "Signature verification failed");
    assert_contains(&text, "Crypto error");

    // A promotion, same signature.
    let (header, mut payload, signature) = split(&raw);
    payload["groups"] = json!(["gantry-admins"]);
    let text = refusal(&join(&header, &payload, &signature), NONCE);
    assert_contains(&text, "Signature verification failed");
}

#[test]
fn a_tampered_signature_is_refused() {
    let raw = sign(claims(json!({})), &key());
    let (header, payload, signature) = split(&raw);
    let mut bytes = URL_SAFE_NO_PAD.decode(&signature).unwrap();
    bytes[10] ^= 0x01;
    let text = refusal(&join(&header, &payload, &b64(&bytes)), NONCE);
    assert_contains(&text, "Signature verification failed");
    assert_contains(&text, "Crypto error");

    // A truncated signature, and no signature at all.
    let text = refusal(&join(&header, &payload, &b64(&bytes[..100])), NONCE);
    assert_contains(&text, "Signature verification failed");
    let text = refusal(&join(&header, &payload, ""), NONCE);
    assert_contains(&text, "Signature verification failed");
}

#[test]
fn alg_none_is_refused() {
    let raw = sign(claims(json!({ "groups": ["gantry-admins"] })), &key());
    let (_, payload, signature) = split(&raw);
    for header in [
        json!({ "alg": "none" }),
        json!({ "alg": "none", "typ": "JWT" }),
        json!({ "alg": "none", "kid": KID }),
    ] {
        // Empty signature, as an unsecured JWS has.
        let text = refusal(&join(&header, &payload, ""), NONCE);
        assert_contains(&text, "Signature verification failed");
        assert_contains(&text, "No signature found");
        // The original signature left in place changes nothing.
        let text = refusal(&join(&header, &payload, &signature), NONCE);
        assert_contains(&text, "No signature found");
    }
}

#[test]
fn a_token_signed_by_a_key_not_in_the_jwks_is_refused() {
    // Same key id as the trusted key: the signature does not verify.
    let raw = sign(claims(json!({})), &other_key(KID));
    let text = refusal(&raw, NONCE);
    assert_contains(&text, "Signature verification failed");
    assert_contains(&text, "Crypto error");

    // Its own key id: no key in the JWKS matches.
    let raw = sign(claims(json!({})), &other_key("attacker-key"));
    let text = refusal(&raw, NONCE);
    assert_contains(&text, "Signature verification failed");
    assert_contains(&text, "No matching key found");
}

#[test]
fn hmac_algorithm_confusion_is_refused() {
    // HS256 "signed" with a key an attacker knows (the public key, the client
    // id): refused because only the provider's advertised RS256 is allowed.
    let raw = sign(claims(json!({})), &key());
    let (_, payload, _) = split(&raw);
    let header = json!({ "alg": "HS256", "kid": KID });
    let text = refusal(&join(&header, &payload, &b64(b"forged-mac")), NONCE);
    assert_contains(&text, "Signature verification failed");
    assert_contains(&text, "Disallowed signature algorithm");
    assert_contains(&text, "HS256");
}

#[test]
fn malformed_token_text_is_refused() {
    let raw = sign(claims(json!({})), &key());
    let (header, payload, signature) = split(&raw);
    let cases = [
        (String::new(), "found 1 parts"),
        ("not a token".to_owned(), "found 1 parts"),
        ("a.b".to_owned(), "found 2 parts"),
        (format!("{raw}.extra"), "found 4 parts"),
        ("!!!.e30.".to_owned(), "Invalid base64url header"),
        (
            format!(
                "{}.{}.{signature}",
                b64(b"not json"),
                b64(payload.to_string().as_bytes())
            ),
            "Failed to parse header JSON",
        ),
        (
            format!("{}.%%%.{signature}", b64(header.to_string().as_bytes())),
            "Invalid base64url payload",
        ),
        (
            format!(
                "{}.{}.{signature}",
                b64(header.to_string().as_bytes()),
                b64(b"[1,2]")
            ),
            "",
        ),
        (
            format!(
                "{}.{}.%%%",
                b64(header.to_string().as_bytes()),
                b64(payload.to_string().as_bytes())
            ),
            "Invalid base64url signature",
        ),
    ];
    for (token, needle) in cases {
        let text = refusal(&token, NONCE);
        assert_contains(&text, "malformed: ");
        assert_contains(&text, needle);
        assert!(
            !text.contains("user-42"),
            "no token content in the message: {text}"
        );
    }
}
