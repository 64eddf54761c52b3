using System.Net;
using System.Security.Cryptography;
using System.Text;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Api;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace AbandonedCart.Tests.Webhooks;

/// <summary>The provider webhook keys are validated with the rest of the options when the Api starts.</summary>
public sealed class WebhookKeyValidationTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private const string SendGridKey = "Providers:SendGrid:WebhookVerificationKey";
    private const string TwilioKey = "Providers:Twilio:AuthToken";
    private const string ValidTwilioToken = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    private readonly List<IDisposable> factories = [];

    public static TheoryData<string> MalformedSendGridKeys()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = p256.ExportSubjectPublicKeyInfo();
        return new TheoryData<string>
        {
            "not base64 at all!",
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(91)),
            Convert.ToBase64String(p384.ExportSubjectPublicKeyInfo()),
            Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()),
            Convert.ToBase64String(spki[..^4]),
            Convert.ToBase64String([.. spki, 0, 0]),
            p256.ExportSubjectPublicKeyInfoPem(),
        };
    }

    [Theory]
    [MemberData(nameof(MalformedSendGridKeys))]
    public void Start_MalformedSendGridVerificationKey_FailsNamingTheConfigurationKey(string key)
    {
        var error = StartFailure((SendGridKey, key));

        Assert.Contains($"{SendGridKey} must be the base64 ECDSA P-256 public key", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("twilio-auth-token-for-tests")]
    [InlineData("0f1e2d3c4b5a69788796a5b4c3d2e1f")]
    [InlineData("0f1e2d3c4b5a69788796a5b4c3d2e1f0a")]
    [InlineData("0f1e2d3c4b5a69788796a5b4c3d2e1fz")]
    [InlineData(" 0f1e2d3c4b5a69788796a5b4c3d2e1f0")]
    public void Start_MalformedTwilioAuthToken_FailsNamingTheConfigurationKeyNotTheValue(string token)
    {
        var error = StartFailure((TwilioKey, token));

        Assert.Contains($"{TwilioKey} must be the account's 32-character hexadecimal Auth Token", error, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Trim(), error, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_BothKeysMalformed_NamesBoth()
    {
        var error = StartFailure((SendGridKey, "AAAA"), (TwilioKey, "secret"));

        Assert.Contains(SendGridKey, error, StringComparison.Ordinal);
        Assert.Contains(TwilioKey, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ValidKeys_StartsAndServesBothProvidersWebhooks()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var factory = Api((SendGridKey, Convert.ToBase64String(key.ExportSubjectPublicKeyInfo())), (TwilioKey, ValidTwilioToken), ("Webhooks:PublicBaseUrl", "https://hooks.example.com"));
        using var client = factory.CreateClient();

        using var live = await client.GetAsync("/health/live");
        using var sendGrid = await client.PostAsync("/webhooks/sendgrid/events", new StringContent("[]", Encoding.UTF8, "application/json"));
        using var twilio = await client.PostAsync("/webhooks/twilio/status", new FormUrlEncodedContent([new("MessageSid", "SM1")]));

        // Unsigned requests: the endpoints exist (401, not 404) and verify.
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (live.StatusCode, sendGrid.StatusCode, twilio.StatusCode));
    }

    [Fact]
    public async Task Start_NoWebhookKeys_StartsWithoutWebhookEndpoints()
    {
        using var factory = Api();
        using var client = factory.CreateClient();

        using var sendGrid = await client.PostAsync("/webhooks/sendgrid/events", new StringContent("[]", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.NotFound, sendGrid.StatusCode);
    }

    [Fact]
    public void SendGridOptions_MalformedWebhookVerificationKey_IsAWorkerStartProblem()
    {
        var options = new SendGridOptions { ApiKey = "SG.key", FromEmail = "shop@shop.example", TemplateId = "d-1", UnsubscribeGroupId = 7, WebhookVerificationKey = "AAAA" };

        Assert.Contains(options.Problems(), p => p.StartsWith("WebhookVerificationKey must be the base64 ECDSA P-256 public key", StringComparison.Ordinal));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        options.WebhookVerificationKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
        Assert.Empty(options.Problems());
    }

    /// <summary>
    /// Builds and starts the Api's own service registration (<c>AddApiServices</c>) with <paramref name="settings"/>,
    /// and returns the messages of the failure. A plain host rather than WebApplicationFactory: the factory's deferred
    /// host can report a disposed service provider instead of the entry point's startup failure.
    /// </summary>
    private string StartFailure(params (string Key, string Value)[] settings)
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(
        [
            new("ConnectionStrings:Postgres", db.ConnectionString),
            new("Temporal:Address", "127.0.0.1:1"),
            new("Urls", "http://127.0.0.1:0"),
            .. settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)),
        ]);
        builder.AddApiServices();
        using var app = builder.Build();
        var error = Assert.ThrowsAny<Exception>(() => app.StartAsync().GetAwaiter().GetResult());
        var messages = new StringBuilder();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.AppendLine(e.Message);
        }

        return messages.ToString();
    }

    public void Dispose() => factories.ForEach(f => f.Dispose());

    private WebApplicationFactory<AbandonedCart.Api.Events.EventInbox> Api(params (string Key, string Value)[] settings)
    {
        var factory = new ApiFactory(db.ConnectionString, new RecordingSignals());
        factories.Add(factory);
        return factory.WithWebHostBuilder(b =>
        {
            foreach (var (key, value) in settings)
            {
                b.UseSetting(key, value);
            }
        });
    }
}
