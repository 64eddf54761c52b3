using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using AbandonedCart.Activities;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Tests.Activities;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Channels;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Worker.Simulation;
using AbandonedCart.Workflows;
using Dapper;
using Microsoft.Extensions.Options;
using Temporalio.Activities;
using Temporalio.Converters;

namespace AbandonedCart.Tests.Erasure;

using ChannelNames = AbandonedCart.Workflows.Channels;

/// <summary>
/// Erasure leaves no personal data anywhere we store it: every column of every table (found from
/// <c>information_schema</c>, so a new table is covered without touching this test) and the workflow history of a
/// journey whose providers failed with texts that echoed the address.
/// </summary>
public sealed class ErasureTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Erase_AfterAJourneyWithFailingProviders_NoTableColumnOrWorkflowHistoryHoldsThePersonalData()
    {
        var pd = PersonalValues.New();
        var customer = $"c-{Guid.NewGuid():N}";
        using var api = new ApiFactory(db.ConnectionString, new RecordingSignals());
        var events = new JsonArray(
            Event(customer, "customer_updated", new JsonObject
            {
                ["email"] = pd.Email, ["phone"] = pd.Phone, ["timeZone"] = "Europe/Berlin",
                ["pushTokens"] = new JsonObject { ["fcm"] = pd.Fcm, ["apns"] = pd.Apns, ["huawei"] = pd.Huawei },
                ["webPush"] = new JsonObject { ["endpoint"] = pd.Endpoint, ["p256dh"] = pd.P256dh, ["auth"] = pd.Auth },
                ["lineUserId"] = pd.Line,
            }),
            Event(customer, "cart_updated", new JsonObject
            {
                ["device"] = "desktop", ["currency"] = "EUR", ["value"] = 19.9,
                ["items"] = new JsonArray(new JsonObject { ["sku"] = "A1", ["name"] = "Lipstick", ["price"] = 19.9 }),
            }),
            Event(customer, "product_viewed", new JsonObject { ["productId"] = "A1" }));
        foreach (var category in Consents.All)
        {
            events.Add(Event(customer, "consent_changed", new JsonObject { ["category"] = category, ["granted"] = true }));
        }

        using (var accepted = await api.CreateClient().SendAsync(ApiFactory.SignedEvent(events.ToJsonString())))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        // Desktop chain: web push fails with the endpoint in the connection error, email goes to the outbox, and Twilio
        // refuses the SMS with the number in its answer.
        await using var twilio = await LoopbackPeer.StartAsync();
        twilio.Respond = _ => new PeerResponse(400, $$"""{"code":21211,"message":"The 'To' number {{pd.Phone}} is not a valid phone number.","status":400}""");
        using var http = new HttpClient();
        using var host = new ActivitiesHost(db.ConnectionString, new UnreachableEndpointSender(), Twilio(http, twilio));
        var run = await ScenarioSimulation.CreateEngine().RunAsync(new JourneyScript
        {
            WorkflowType = Temporalio.Workflows.WorkflowDefinition.Create<AbandonedCartWorkflow>().Name!,
            WorkflowId = AbandonedCartWorkflow.IdFor(customer),
            Args = [new AbandonedCartWorkflow.Input { CustomerId = customer }],
            Start = T0,
            Happenings =
            [
                JourneyHappening.Signal(T0, ScenarioPlan.CartUpdatedSignal, new CartUpdated
                {
                    EventId = $"{customer}:cart", OccurredAt = T0, Device = Devices.Desktop,
                    Items = [new CartItem { Sku = "A1", Name = "Lipstick", Price = 19.9m, Quantity = 1 }],
                }),
            ],
            Activities = call => RealActivities.Answer(host, call),
        });

        Assert.Contains(Uri.EscapeDataString(pd.Phone), Assert.Single(twilio.Requests).Text, StringComparison.Ordinal);
        var histories = string.Join("\n", run.Histories.Select(h => h.ToJson()));
        Assert.Contains(nameof(HttpRequestException), histories, StringComparison.Ordinal);
        Assert.Contains(ProviderErrors.InvalidAddress, histories, StringComparison.Ordinal);
        Assert.Empty(pd.FoundIn(histories));
        Assert.Contains("customers.email", await FindEverywhereAsync(pd));
        Assert.Contains("outbox.recipient", await FindEverywhereAsync(pd));
        Assert.Contains("storefront_events.payload", await FindEverywhereAsync(pd));

        using var erased = await api.CreateAdminClient().DeleteAsync($"/v1/customers/{customer}");

        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.Empty(await FindEverywhereAsync(pd));
    }

    [Theory]
    [InlineData(ChannelNames.Email)]
    [InlineData(ChannelNames.Sms)]
    [InlineData(ChannelNames.Line)]
    [InlineData(ChannelNames.MobilePush)]
    [InlineData(ChannelNames.WebPush)]
    public async Task SendMessageAsync_ProviderEchoesTheAddress_ActivityFailureCarriesNoPersonalData(string channel)
    {
        var pd = PersonalValues.New();
        await using var peer = await LoopbackPeer.StartAsync();
        using var key = RSA.Create(2048);
        using var http = new HttpClient();
        peer.Respond = r => r.Path == "/token"
            ? new PeerResponse(200, """{"access_token":"ya29.t","expires_in":3599,"token_type":"Bearer"}""")
            : channel switch
            {
                ChannelNames.Email => new PeerResponse(400, $$"""{"errors":[{"message":"Invalid recipient {{pd.Email}}","field":"personalizations.0.to"}]}"""),
                ChannelNames.Sms => new PeerResponse(503, $$"""{"code":20503,"message":"Could not queue a message to {{pd.Phone}}","status":503}"""),
                ChannelNames.Line => new PeerResponse(400, $$"""{"message":"The property, 'to', in the request body is invalid: {{pd.Line}}","details":[]}"""),
                _ => new PeerResponse(400, $$$"""{"error":{"code":400,"message":"The registration token is not a valid FCM registration token: {{{pd.Fcm}}}","status":"INVALID_ARGUMENT"}}"""),
            };
        IChannelSender sender = channel switch
        {
            ChannelNames.Email => SendGrid(http, peer),
            ChannelNames.Sms => Twilio(http, peer),
            ChannelNames.Line => new LinePushSender(http, Options.Create(new LineOptions { ChannelAccessToken = "line-token", BaseUrl = peer.BaseUri.ToString() })),
            ChannelNames.MobilePush => new MobilePushSender([new FcmPushSender(
                http,
                Options.Create(new FcmOptions { BaseUrl = peer.BaseUri.ToString() }),
                new GoogleServiceAccount(FcmPushSenderTests.ServiceAccountJson(peer, key), FcmPushSender.Scope))]),
            _ => new UnreachableEndpointSender(),
        };
        using var host = new ActivitiesHost(db.ConnectionString, sender);
        var customer = await host.CustomerAsync(p => pd.Apply(p), Consents.All.ToArray());

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => ActivitiesHost.RunAsync(() => host.Activities.SendMessageAsync(ActivitiesHost.Send(customer, channel))));

        // What a worker records in the history for this failure: message, type, stack trace and every cause.
        var recorded = Google.Protobuf.JsonFormatter.Default.Format(DataConverter.Default.FailureConverter.ToFailure(failure, DataConverter.Default.PayloadConverter));
        Assert.Empty(pd.FoundIn(recorded));
        Assert.True(channel == ChannelNames.WebPush || peer.Requests.Any(r => r.Path != "/token"), "the provider was called");
    }

    [Fact]
    public void Redact_ProviderTexts_MaskAddressesNumbersEndpointsAndTokensButKeepCodes()
    {
        var text = ProviderErrors.Redact(
            """{"code":21211,"message":"The 'To' number +49 151 1234 5678 is not valid","to":"ana@example.com","endpoint":"https://fcm.googleapis.com/fcm/send/abc","token":"dGhpcyBpcyBhIGxvbmcgdG9rZW4tMTIzNDU2Nzg5MA"}""");

        Assert.Equal("""{"code":21211,"message":"The 'To' number [redacted] is not valid","to":"[redacted]","endpoint":"[redacted]","token":"[redacted]"}""", text);
    }

    private static JsonObject Event(string customer, string type, JsonObject fields)
    {
        fields["id"] = $"e-{Guid.NewGuid():N}";
        fields["type"] = type;
        fields["customerId"] = customer;
        fields["occurredAt"] = "2026-03-02T09:59:00Z";
        return fields;
    }

    private static SendGridEmailSender SendGrid(HttpClient http, LoopbackPeer peer) => new(http, Options.Create(new SendGridOptions
    {
        ApiKey = "SG.test-key", FromEmail = "shop@shop.example", FromName = "Shop", TemplateId = "d-0123456789abcdef", BaseUrl = peer.BaseUri.ToString().TrimEnd('/'),
    }));

    private static TwilioSmsSender Twilio(HttpClient http, LoopbackPeer peer) => new(http, Options.Create(new TwilioOptions
    {
        AccountSid = "AC0123456789abcdef0123456789abcdef", AuthToken = "auth-token", From = "+15005550006", BaseUrl = peer.BaseUri.ToString(),
    }));

    /// <summary>Every "table.column" of the public schema in which any of the values occurs (case-insensitive).</summary>
    private async Task<List<string>> FindEverywhereAsync(PersonalValues pd)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var columns = await connection.QueryAsync<(string Table, string Column)>("""
            SELECT c.table_name, c.column_name FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
            ORDER BY 1, 2
            """);
        var found = new List<string>();
        var needles = pd.All.Select(v => v.ToLowerInvariant()).ToArray();
        foreach (var (table, column) in columns)
        {
            var quoted = $"\"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\".\"{column.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
            var sql = $"SELECT EXISTS (SELECT 1 FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\" WHERE EXISTS (SELECT 1 FROM unnest(@needles) n WHERE strpos(lower({quoted}::text), n) > 0))";
            if (await connection.ExecuteScalarAsync<bool>(sql, new { needles }))
            {
                found.Add($"{table}.{column}");
            }
        }

        return found;
    }

    /// <summary>A web push sender whose connection fails with the endpoint in the exception text, as HttpClient's can.</summary>
    private sealed class UnreachableEndpointSender : IChannelSender
    {
        public string Channel => ChannelNames.WebPush;

        public string Provider => "web_push";

        public Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken) =>
            throw new HttpRequestException($"Connection refused ({message.Customer.WebPush!.Endpoint})", new IOException($"reset by {message.Customer.WebPush.Endpoint}"));
    }
}

/// <summary>One customer's addresses and tokens, unique per test so a search cannot hit another test's rows.</summary>
internal sealed record PersonalValues(
    string Email, string Phone, string Fcm, string Apns, string Huawei, string Endpoint, string P256dh, string Auth, string Line)
{
    public IEnumerable<string> All => [Email, Phone, Phone.TrimStart('+'), Fcm, Apns, Huawei, Endpoint, P256dh, Auth, Line];

    public static PersonalValues New()
    {
        var id = Guid.NewGuid().ToString("N");
        using var ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var q = ecdh.ExportParameters(false).Q;
        var digits = string.Concat(id.Where(char.IsAsciiDigit).Concat("1234567890")).Substring(0, 9);
        return new(
            $"erin.{id[..12]}@example.com",
            $"+4915{digits}",
            $"fcm-{id}",
            Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id))),
            $"huawei-{id}",
            $"https://fcm.googleapis.com/fcm/send/{id}",
            Base64Url([0x04, .. q.X!, .. q.Y!]),
            Base64Url(RandomNumberGenerator.GetBytes(16)),
            $"U{id}");
    }

    public CustomerProfile Apply(CustomerProfile profile) => profile with
    {
        Email = Email, Phone = Phone, FcmToken = Fcm, ApnsToken = Apns, HuaweiToken = Huawei,
        WebPush = new WebPushSubscription(Endpoint, P256dh, Auth), LineUserId = Line,
    };

    /// <summary>The values <paramref name="text"/> holds, ignoring case (also JSON-escaped).</summary>
    public List<string> FoundIn(string text) =>
        [.. All.Where(v => text.Contains(v, StringComparison.OrdinalIgnoreCase) || text.Contains(JsonSerializer.Serialize(v)[1..^1], StringComparison.OrdinalIgnoreCase))];

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Answers the offline engine's activity calls with the real <see cref="JourneyActivities"/> at the call's virtual time.</summary>
internal static class RealActivities
{
    private static readonly Dictionary<string, MethodInfo> Methods = typeof(JourneyActivities).GetMethods()
        .Where(m => m.GetCustomAttribute<ActivityAttribute>() is not null)
        .ToDictionary(m => ActivityDefinition.Create(m, _ => null).Name!, StringComparer.Ordinal);

    public static object? Answer(ActivitiesHost host, ActivityCall call)
    {
        var behind = call.At - host.Clock.GetUtcNow();
        if (behind > TimeSpan.Zero)
        {
            host.Clock.Advance(behind);
        }

        var method = Methods[call.Name];
        var task = (Task)method.Invoke(host.Activities, [.. call.Args])!;
#pragma warning disable VSTHRD002 // The engine answers activities synchronously; nothing here waits on this thread.
        task.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        return method.ReturnType.IsGenericType ? method.ReturnType.GetProperty("Result")!.GetValue(task) : null;
    }
}
