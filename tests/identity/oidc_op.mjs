// A real OpenID provider (node-oidc-provider 8, OpenID Certified) for the tests:
// the ENT signs in through it as a relying party. Started by tests/identity/conftest.py.
// Config from the environment: OP_PORT, OP_CLIENTS (JSON list of client metadata),
// OP_ACCOUNTS (JSON object: login -> claims). Its dev login page accepts any
// password; the login names the account.
import Provider from 'oidc-provider';

const port = Number(process.env.OP_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OP_ACCOUNTS || '{}');
const clients = JSON.parse(process.env.OP_CLIENTS || '[]');
const extraClaims = [...new Set(Object.values(accounts).flatMap((c) => Object.keys(c)))];

const provider = new Provider(issuer, {
  clients,
  cookies: { keys: ['ent-tests-only-cookie-key'] },
  claims: { openid: ['sub'], profile: extraClaims },
  scopes: ['openid', 'profile', 'offline_access'],
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    // OpenID Connect Back-Channel Logout 1.0: its own logout tells the ENT
    // (the client's backchannel_logout_uri) with a signed logout_token.
    backchannelLogout: { enabled: true },
  },
  pkce: { required: () => false },
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
  },
  // The ENT is a client this IdP trusts: no consent screen (as ÉduConnect).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile');
    grant.addOIDCClaims(extraClaims);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
