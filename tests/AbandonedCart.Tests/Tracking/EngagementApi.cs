using System.Security.Cryptography;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Activities.Tracking;
using AbandonedCart.Api.Signals;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Tests.Tracking;

using ChannelNames = AbandonedCart.Workflows.Channels;

/// <summary>
/// The real Api over a test database with tracking and both providers' webhook keys configured, signals recorded,
/// and the seeding the engagement tests share (a customer with a sent message).
/// </summary>
internal sealed class EngagementApi : IDisposable
{
    public const string SigningSecret = "test-signing-secret-0123456789abcdef";
    public const string TwilioAuthToken = "7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e";
    public const string PublicBaseUrl = "https://hooks.example.com";

    private readonly ApiFactory factory;
    private readonly WebApplicationFactory<AbandonedCart.Api.Events.EventInbox> configured;

    public EngagementApi(PostgresDatabase db)
    {
        Db = db;
        factory = new ApiFactory(db.ConnectionString, Signals);
        configured = factory.WithWebHostBuilder(b => b
            .UseSetting("Tracking:SigningSecret", SigningSecret)
            .UseSetting("Tracking:BaseUrl", "https://cart.example.com")
            .UseSetting("Webhooks:PublicBaseUrl", PublicBaseUrl)
            .UseSetting("Providers:SendGrid:WebhookVerificationKey", Convert.ToBase64String(SendGridKey.ExportSubjectPublicKeyInfo()))
            .UseSetting("Providers:Twilio:AuthToken", TwilioAuthToken));
        Client = configured.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    public PostgresDatabase Db { get; }

    public RecordingSignals Signals { get; } = new();

    public HttpClient Client { get; }

    /// <summary>The key pair SendGrid would sign with; the Api holds its public half.</summary>
    public ECDsa SendGridKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TrackingTokens Tokens { get; } =
        new(Options.Create(new TrackingOptions { SigningSecret = SigningSecret, BaseUrl = "https://cart.example.com" }));

    /// <summary>A customer with email and SMS consent and one sent message; returns the customer id, message id and key.</summary>
    public async Task<(string Customer, long MessageId, string Key)> SentMessageAsync(
        string channel = ChannelNames.Email, string provider = "sendgrid", string? providerMessageId = null)
    {
        var customers = new CustomerStore(Db.DataSource);
        var messages = new MessageStore(Db.DataSource);
        var customer = $"c-{Guid.NewGuid():N}";
        var phone = $"+1415{RandomNumberGenerator.GetInt32(1_000_000, 9_999_999)}";
        await customers.UpsertAsync(new CustomerProfile { Id = customer, Email = $"{customer}@example.com", Phone = phone });
        foreach (var consent in new[] { Consents.Email, Consents.Sms })
        {
            // Granted before the provider events the tests replay (SendGrid's batch is dated 2026-03-02): an older
            // withdrawal than the grant would change nothing.
            await customers.SetConsentAsync(customer, consent, granted: true, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        }

        var key = $"{AbandonedCartWorkflow.IdFor(customer)}:run-1:{channel}";
        var id = await messages.ClaimAsync(new MessageHead { IdempotencyKey = key, CustomerId = customer, Journey = Journeys.AbandonedCart, Channel = channel, Step = 1 }, null, TimeSpan.FromMinutes(5));
        await messages.MarkSentAsync(id!.Value, provider, providerMessageId, DateTimeOffset.UtcNow);
        return (customer, id.Value, key);
    }

    public async Task<List<(string Kind, long? MessageId, string Source, string? ProviderEventId)>> EngagementsAsync(string customer)
    {
        await using var connection = await Db.DataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string, long?, string, string?)>(
            "SELECT kind, message_id, source, provider_event_id FROM engagements WHERE customer_id = @customer ORDER BY id", new { customer });
        return rows.ToList();
    }

    /// <summary>The customer's journey signals as the relay delivered them, once at least <paramref name="count"/> arrived.</summary>
    public async Task<List<EngagementSignal>> DeliveredSignalsAsync(string customer, int count)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(Of(customer).Count >= count));
        return Of(customer);

        List<EngagementSignal> Of(string id) => [.. Signals.Engagements.Where(s => s.WorkflowId == AbandonedCartWorkflow.IdFor(id))];
    }

    /// <summary>The customer's rows in the journey-signal outbox, oldest first.</summary>
    public async Task<List<(string Key, string Status, int Attempts, string? Error)>> SignalRowsAsync(string customer)
    {
        await using var connection = await Db.DataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string, string, int, string?)>(
            "SELECT signal_key, delivery_status, attempts, last_error FROM journey_signals WHERE customer_id = @customer ORDER BY id", new { customer });
        return rows.ToList();
    }

    public async Task<CustomerProfile> CustomerAsync(string customer) => (await new CustomerStore(Db.DataSource).FindAsync(customer))!;

    public async Task<List<(string Category, bool Granted, string Source)>> ConsentHistoryAsync(string customer)
    {
        await using var connection = await Db.DataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string, bool, string)>(
            "SELECT category, granted, source FROM consent_history WHERE customer_id = @customer ORDER BY id", new { customer });
        return rows.ToList();
    }

    public void Dispose()
    {
        Client.Dispose();
        configured.Dispose();
        factory.Dispose();
        SendGridKey.Dispose();
    }
}
