using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Activities.Tracking;
using AbandonedCart.Api.Events;
using AbandonedCart.Api.Reports;
using AbandonedCart.Api.Security;
using AbandonedCart.Api.Shopify;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AbandonedCart.Tests.Security;

using ChannelNames = AbandonedCart.Workflows.Channels;

/// <summary>
/// The real Api with every credential configured (admin key, storefront and Shopify secrets, SendGrid and Twilio
/// webhook keys, tracking links), the inbox relay and the report rollup off so that only requests write to the
/// database, and signers that sign exactly as each sender does.
/// </summary>
internal sealed class SecureApi : IDisposable
{
    public const string TrackingSecret = "security-tracking-secret-0123456789abcdef";
    public const string TwilioAuthToken = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
    public const string PublicBaseUrl = "https://hooks.example.com";

    /// <summary>Personal data of <see cref="Customer"/>: no unauthenticated answer may contain any of it.</summary>
    public const string Customer = "sec-customer-1";
    public const string Email = "ada.secret@example.com";
    public const string Phone = "+4915199887766";
    public const string PushToken = "fcm-token-secret-4f2a9c";
    public const string LineUserId = "U0secretline0000000000000000000000";

    private readonly ApiFactory factory;
    private readonly WebApplicationFactory<EventInbox> configured;

    public SecureApi(PostgresDatabase db, Action<IWebHostBuilder>? configure = null)
    {
        Db = db;
        factory = new ApiFactory(db.ConnectionString, new RecordingSignals());
        configured = factory.WithWebHostBuilder(b =>
        {
            b.UseSetting("Inbox:RelayEnabled", "false");
            b.UseSetting(ReportRollupRefresh.IntervalKey, "0");
            b.UseSetting("Tracking:SigningSecret", TrackingSecret);
            b.UseSetting("Tracking:BaseUrl", "https://cart.example.com");
            b.UseSetting("Webhooks:PublicBaseUrl", PublicBaseUrl);
            b.UseSetting("Providers:SendGrid:WebhookVerificationKey", Convert.ToBase64String(SendGridKey.ExportSubjectPublicKeyInfo()));
            b.UseSetting("Providers:Twilio:AuthToken", TwilioAuthToken);
            configure?.Invoke(b);
        });
        Client = configured.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    public PostgresDatabase Db { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => configured.Services;

    /// <summary>The key pair SendGrid signs with; the Api holds its public half.</summary>
    public ECDsa SendGridKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TrackingTokens Tokens { get; } = new(Options.Create(new TrackingOptions { SigningSecret = TrackingSecret, BaseUrl = "https://cart.example.com" }));

    /// <summary>Every endpoint the Api maps, as <c>"METHOD pattern"</c> with its endpoint (one entry per method).</summary>
    public IReadOnlyList<(string Key, string Method, RouteEndpoint Endpoint)> Endpoints()
    {
        var source = Services.GetRequiredService<EndpointDataSource>();
        return
        [
            .. source.Endpoints.OfType<RouteEndpoint>()
                .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (e, m)))
                .Select(x => ($"{x.m} /{x.e.RoutePattern.RawText!.Trim('/')}", x.m, x.e))
                .OrderBy(x => x.Item1, StringComparer.Ordinal),
        ];
    }

    /// <summary>A customer with every kind of personal data, consents, an event, a message, an outbox row and an engagement.</summary>
    public async Task<(long MessageId, string MessageKey)> SeedCustomerAsync(string id = Customer, string email = Email, string phone = Phone)
    {
        var customers = new CustomerStore(Db.DataSource);
        await customers.UpsertAsync(new CustomerProfile { Id = id, Email = email, Phone = phone, FcmToken = PushToken, LineUserId = LineUserId, TimeZone = "Europe/Berlin" });
        foreach (var consent in Consents.All)
        {
            await customers.SetConsentAsync(id, consent, granted: true, DateTimeOffset.UtcNow.AddDays(-1));
        }

        var key = $"{AbandonedCartWorkflow.IdFor(id)}:run-1:{ChannelNames.Email}";
        var messages = new MessageStore(Db.DataSource);
        var messageId = await messages.ClaimAsync(new MessageHead { IdempotencyKey = key, CustomerId = id, Journey = Journeys.AbandonedCart, Channel = ChannelNames.Email, Step = 1 }, null, TimeSpan.FromMinutes(5));
        await messages.MarkSentAsync(messageId!.Value, "sendgrid", $"sg-{id}", DateTimeOffset.UtcNow);
        await using var connection = await Db.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO outbox (kind, idempotency_key, channel, customer_id, recipient, subject, body)
            VALUES ('message', @key, 'email', @id, @email, 'Your cart', @body);
            """,
            new { id, email, key, body = $"Hello {email}, call {phone}" });
        return (messageId.Value, key);
    }

    public TrackingToken Token(string kind, long messageId, string messageKey, string customer = Customer) => new()
    {
        Kind = kind,
        MessageId = messageId,
        IdempotencyKey = messageKey,
        CustomerId = customer,
        Channel = ChannelNames.Email,
        Target = kind == TrackingToken.Click ? "https://shop.example.com/cart" : null,
    };

    /// <summary><c>POST /v1/events</c> signed with <c>X-Signature</c> at <paramref name="at"/>.</summary>
    public static HttpRequestMessage Event(byte[] body, DateTimeOffset at, string secret = ApiFactory.SigningSecret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(secret, at.ToUnixTimeSeconds(), body));
        return request;
    }

    /// <summary><c>POST /webhooks/shopify</c> signed as Shopify signs: base64 HMAC-SHA256 of the raw body.</summary>
    public static HttpRequestMessage Shopify(byte[] body, string topic, string webhookId, string secret = ApiFactory.ShopifySecret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/shopify") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(ShopifyEndpoints.HmacHeader, Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
        request.Headers.TryAddWithoutValidation(ShopifyEndpoints.TopicHeader, topic);
        request.Headers.TryAddWithoutValidation(ShopifyEndpoints.WebhookIdHeader, webhookId);
        return request;
    }

    /// <summary><c>POST /webhooks/sendgrid/events</c> signed as SendGrid signs: ECDSA P-256 over the timestamp header and the raw body.</summary>
    public static HttpRequestMessage SendGrid(byte[] body, ECDsa key, DateTimeOffset at)
    {
        var timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = key.SignData([.. Encoding.UTF8.GetBytes(timestamp), .. body], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/sendgrid/events") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(SendGridEventWebhookVerifier.SignatureHeader, Convert.ToBase64String(signature));
        request.Headers.Add(SendGridEventWebhookVerifier.TimestampHeader, timestamp);
        return request;
    }

    /// <summary>
    /// A Twilio callback with a raw form body, signed over the parameters as ASP.NET Core will read them (so a body
    /// with broken percent-encoding is signed over what the Api decodes): base64 HMAC-SHA1 of the URL and the sorted pairs.
    /// </summary>
    public static async Task<HttpRequestMessage> TwilioFormAsync(string path, string formBody, string authToken = TwilioAuthToken)
    {
        Dictionary<string, string> form;
        try
        {
            using var reader = new FormReader(formBody);
            form = (await reader.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        }
        catch (InvalidDataException)
        {
            form = [];
        }

        var data = PublicBaseUrl + path + string.Concat(form.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + p.Value));
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(formBody)) };
        request.Content.Headers.ContentType = new("application/x-www-form-urlencoded");
        request.Headers.Add(TwilioSignatureVerifier.Header, TwilioSign(authToken, data));
        return request;
    }

    /// <summary>A Twilio callback with a JSON body: <c>bodySHA256</c> of the body in the signed URL, the signature over that URL.</summary>
    public static HttpRequestMessage TwilioJson(string path, byte[] body, string authToken = TwilioAuthToken)
    {
        var pathAndQuery = $"{path}?bodySHA256={Convert.ToHexStringLower(SHA256.HashData(body))}";
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(TwilioSignatureVerifier.Header, TwilioSign(authToken, PublicBaseUrl + pathAndQuery));
        return request;
    }

#pragma warning disable CA5350 // HMAC-SHA1 is what Twilio signs with.
    public static string TwilioSign(string authToken, string data) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data)));
#pragma warning restore CA5350

    public void Dispose()
    {
        Client.Dispose();
        configured.Dispose();
        factory.Dispose();
        SendGridKey.Dispose();
    }
}

/// <summary>
/// What the database holds, to prove a refused or replayed request changed nothing: a write counter bumped by a
/// trigger on every row inserted, updated or deleted in any table, and a digest of every table's content.
/// </summary>
internal static class DatabaseState
{
    /// <summary>Installs the counting triggers (test databases only); idempotent.</summary>
    public static async Task InstallWriteCounterAsync(NpgsqlDataSource dataSource)
    {
        const string sql = """
            CREATE SEQUENCE IF NOT EXISTS security_writes;
            CREATE OR REPLACE FUNCTION security_count_write() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM nextval('security_writes');
                RETURN NULL;
            END $$;
            DO $$
            DECLARE t regclass;
            BEGIN
                FOR t IN SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'changelog'
                           AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'security_count_write')
                LOOP
                    EXECUTE format('CREATE TRIGGER security_count_write AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION security_count_write()', t);
                END LOOP;
            END $$;
            """;
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(sql);
    }

    /// <summary>Rows written so far (inserted, updated or deleted; a rolled-back write counts too).</summary>
    public static async Task<long> WritesAsync(NpgsqlConnection connection) =>
        await connection.ExecuteScalarAsync<long>("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM security_writes");

    /// <summary>Per table: row count and an MD5 over every row's text, so any change shows.</summary>
    public static async Task<SortedDictionary<string, string>> DigestAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var tables = await connection.QueryAsync<string>(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'changelog' ORDER BY 1
            """);
        var digest = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            digest[table] = await connection.ExecuteScalarAsync<string>(
                $"SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM \"{table}\" x") ?? string.Empty;
        }

        return digest;
    }
}
