using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Tests.Tracking;
using AbandonedCart.Workflows;

namespace AbandonedCart.Tests.Webhooks;

using ChannelNames = AbandonedCart.Workflows.Channels;

public sealed class ProviderWebhookTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly EngagementApi api = new(db);

    [Fact]
    public async Task SendGridEvents_SignedBatch_StoresEngagementsSignalsOpensAndClicksWithdrawsConsentMarksBounce()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var batch = SendGridBatch(customer, messageId, key, "open", "click", "delivered", "unsubscribe", "bounce");

        using var response = await PostSendGridAsync(batch, api.SendGridKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            ["opened", "clicked", "delivered", "unsubscribed", "bounced"],
            (await api.EngagementsAsync(customer)).Select(e => e.Kind));
        Assert.All(await api.EngagementsAsync(customer), e => Assert.Equal((messageId, "sendgrid"), (e.MessageId, e.Source)));
        Assert.Equal([("opened", key), ("clicked", key)], (await api.DeliveredSignalsAsync(customer, 2)).Select(s => (s.Engagement.Action, s.Engagement.MessageKey)));
        var profile = await api.CustomerAsync(customer);
        Assert.False(profile.HasConsent(Consents.Email));
        Assert.True(profile.HasConsent(Consents.Sms));
        Assert.False(profile.EmailValid);
        Assert.Equal((Consents.Email, false, "sendgrid"), (await api.ConsentHistoryAsync(customer))[^1]);
    }

    [Fact]
    public async Task SendGridEvents_SameSgEventIdTwice_StoredAndSignalledOnce()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var batch = SendGridBatch(customer, messageId, key, "open", "unsubscribe");

        using var first = await PostSendGridAsync(batch, api.SendGridKey);
        using var second = await PostSendGridAsync(batch, api.SendGridKey);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal(2, (await api.EngagementsAsync(customer)).Count);
        Assert.Single(await api.DeliveredSignalsAsync(customer, 1));
        Assert.Single(await api.SignalRowsAsync(customer));
        await Task.Delay(300); // several relay passes: nothing is delivered again
        Assert.Single(api.Signals.Engagements);
        Assert.Single(await api.ConsentHistoryAsync(customer), h => !h.Granted);
    }

    [Fact]
    public async Task SendGridEvents_TemporalDownAndBatchRedelivered_Answers200AndSignalsOnceWhenBack()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var batch = SendGridBatch(customer, messageId, key, "click", "unsubscribe");
        api.Signals.Outage = true;

        using var first = await PostSendGridAsync(batch, api.SendGridKey);
        await Eventually.HoldsAsync(async () => (await api.SignalRowsAsync(customer)) is [{ Status: "pending", Attempts: >= 1 }]);
        using var repeated = await PostSendGridAsync(batch, api.SendGridKey);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, repeated.StatusCode));
        Assert.False((await api.CustomerAsync(customer)).HasConsent(Consents.Email));
        var row = Assert.Single(await api.SignalRowsAsync(customer));
        Assert.Equal(($"sendgrid:{customer}-click", "pending", "RpcException Unavailable"), (row.Key, row.Status, row.Error));
        Assert.Empty(api.Signals.Engagements);

        api.Signals.Outage = false;

        var signal = Assert.Single(await api.DeliveredSignalsAsync(customer, 1));
        Assert.Equal(("clicked", key), (signal.Engagement.Action, signal.Engagement.MessageKey));
        await Eventually.HoldsAsync(async () => (await api.SignalRowsAsync(customer)) is [{ Status: "delivered" }]);
        await Task.Delay(300);
        Assert.Single(api.Signals.Engagements);
        Assert.Equal(["clicked", "unsubscribed"], (await api.EngagementsAsync(customer)).Select(e => e.Kind));
    }

    [Fact]
    public async Task SendGridEvents_SignedWithAnotherKey_Returns401AndStoresNothing()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var response = await PostSendGridAsync(SendGridBatch(customer, messageId, key, "unsubscribe"), forger);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await api.EngagementsAsync(customer));
        Assert.True((await api.CustomerAsync(customer)).HasConsent(Consents.Email));
    }

    [Fact]
    public async Task TwilioStatus_SignedDelivered_StoresDeliveredRowForTheMessage()
    {
        var (customer, messageId, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name, "SM0123456789abcdef");
        var form = new Dictionary<string, string> { ["MessageSid"] = "SM0123456789abcdef", ["MessageStatus"] = "delivered", ["AccountSid"] = "AC1" };

        using var response = await PostTwilioAsync("/webhooks/twilio/status", form, EngagementApi.TwilioAuthToken);
        using var repeated = await PostTwilioAsync("/webhooks/twilio/status", form, EngagementApi.TwilioAuthToken);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (response.StatusCode, repeated.StatusCode));
        var row = Assert.Single(await api.EngagementsAsync(customer));
        Assert.Equal(("delivered", messageId, "twilio", "twilio:SM0123456789abcdef:delivered"), row);
    }

    [Fact]
    public async Task TwilioStatus_UndeliveredToALandline_StoresUndeliveredAndMarksPhoneInvalid()
    {
        var (customer, _, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name, "SM-landline");
        var form = new Dictionary<string, string> { ["MessageSid"] = "SM-landline", ["MessageStatus"] = "undelivered", ["ErrorCode"] = "30006" };

        using var response = await PostTwilioAsync("/webhooks/twilio/status", form, EngagementApi.TwilioAuthToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("undelivered", Assert.Single(await api.EngagementsAsync(customer)).Kind);
        Assert.False((await api.CustomerAsync(customer)).PhoneValid);
    }

    [Fact]
    public async Task TwilioInbound_Stop_WithdrawsSmsConsentAndAnswersEmptyTwiml()
    {
        var (customer, _, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name);
        var phone = (await api.CustomerAsync(customer)).Phone!;

        using var response = await PostTwilioAsync("/webhooks/twilio/inbound", new() { ["From"] = phone, ["Body"] = " stop ", ["MessageSid"] = "SM-in-1" }, EngagementApi.TwilioAuthToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("<Response></Response>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var profile = await api.CustomerAsync(customer);
        Assert.False(profile.HasConsent(Consents.Sms));
        Assert.True(profile.HasConsent(Consents.Email));
        Assert.Equal((Consents.Sms, false, "twilio"), (await api.ConsentHistoryAsync(customer))[^1]);
    }

    [Theory]
    [InlineData("START")]
    [InlineData(" unstop ")]
    [InlineData("Yes")]
    public async Task TwilioInbound_OptInKeywordAfterStop_RegrantsSmsConsent(string keyword)
    {
        var (customer, _, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name);
        var phone = (await api.CustomerAsync(customer)).Phone!;
        using var stop = await PostTwilioAsync("/webhooks/twilio/inbound", new() { ["From"] = phone, ["Body"] = "STOP", ["MessageSid"] = $"SM-in-stop-{keyword.Trim()}" }, EngagementApi.TwilioAuthToken);

        using var response = await PostTwilioAsync("/webhooks/twilio/inbound", new() { ["From"] = phone, ["Body"] = keyword, ["MessageSid"] = $"SM-in-start-{keyword.Trim()}" }, EngagementApi.TwilioAuthToken);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (stop.StatusCode, response.StatusCode));
        Assert.Contains("<Response></Response>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True((await api.CustomerAsync(customer)).HasConsent(Consents.Sms));
        Assert.Equal([(Consents.Sms, false, "twilio"), (Consents.Sms, true, "twilio")], (await api.ConsentHistoryAsync(customer)).Where(h => h.Source == "twilio"));
    }

    [Theory]
    [InlineData("HELP")]
    [InlineData("info")]
    [InlineData("start please")]
    public async Task TwilioInbound_HelpOrOtherText_ChangesNoConsent(string body)
    {
        var (customer, _, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name);
        var phone = (await api.CustomerAsync(customer)).Phone!;
        using var stop = await PostTwilioAsync("/webhooks/twilio/inbound", new() { ["From"] = phone, ["Body"] = "STOP" }, EngagementApi.TwilioAuthToken);
        var before = await api.ConsentHistoryAsync(customer);

        using var response = await PostTwilioAsync("/webhooks/twilio/inbound", new() { ["From"] = phone, ["Body"] = body }, EngagementApi.TwilioAuthToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await api.CustomerAsync(customer)).HasConsent(Consents.Sms));
        Assert.Equal(before, await api.ConsentHistoryAsync(customer));
    }

    [Fact]
    public async Task TwilioStatus_JsonBodySignedWithBodySha256_StoresDeliveredRow()
    {
        var (customer, messageId, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name, "SM-json-1");
        const string body = """{"MessageSid":"SM-json-1","MessageStatus":"delivered","AccountSid":"AC1"}""";

        using var response = await PostTwilioJsonAsync("/webhooks/twilio/status", body, body, EngagementApi.TwilioAuthToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("delivered", messageId, "twilio", "twilio:SM-json-1:delivered"), Assert.Single(await api.EngagementsAsync(customer)));
    }

    [Fact]
    public async Task TwilioStatus_JsonBodyAlteredAfterSigning_Returns401AndStoresNothing()
    {
        var (customer, _, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name, "SM-json-2");
        const string signed = """{"MessageSid":"SM-json-2","MessageStatus":"queued"}""";
        const string sent = """{"MessageSid":"SM-json-2","MessageStatus":"delivered"}""";

        using var response = await PostTwilioJsonAsync("/webhooks/twilio/status", signed, sent, EngagementApi.TwilioAuthToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await api.EngagementsAsync(customer));
    }

    [Fact]
    public async Task TwilioInbound_JsonBodyWithoutBodySha256_Returns401AndKeepsConsent()
    {
        var (customer, _, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name);
        var phone = (await api.CustomerAsync(customer)).Phone!;
        var body = JsonSerializer.Serialize(new { From = phone, Body = "STOP" });
        var signature = TwilioSign(EngagementApi.TwilioAuthToken, EngagementApi.PublicBaseUrl + "/webhooks/twilio/inbound");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/inbound") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(TwilioSignatureVerifier.Header, signature);

        using var response = await api.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True((await api.CustomerAsync(customer)).HasConsent(Consents.Sms));
    }

    [Fact]
    public async Task TwilioInbound_BadSignature_Returns401AndKeepsConsent()
    {
        var (customer, _, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name);
        var phone = (await api.CustomerAsync(customer)).Phone!;

        using var response = await PostTwilioAsync("/webhooks/twilio/inbound", new() { ["From"] = phone, ["Body"] = "STOP" }, "not-the-auth-token");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True((await api.CustomerAsync(customer)).HasConsent(Consents.Sms));
    }

    [Fact]
    public async Task TwilioStatus_BadSignature_Returns401AndStoresNothing()
    {
        var (customer, _, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name, "SM-forged");

        using var response = await PostTwilioAsync("/webhooks/twilio/status", new() { ["MessageSid"] = "SM-forged", ["MessageStatus"] = "delivered" }, "not-the-auth-token");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await api.EngagementsAsync(customer));
    }

    [Fact]
    public async Task TwilioInbound_StopReplayedAfterStart_ChangesNothingTheSecondTime()
    {
        var (customer, _, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name);
        var phone = (await api.CustomerAsync(customer)).Phone!;
        var stop = new Dictionary<string, string> { ["From"] = phone, ["Body"] = "STOP", ["MessageSid"] = $"SM-{customer}-stop" };
        using var first = await PostTwilioAsync("/webhooks/twilio/inbound", stop, EngagementApi.TwilioAuthToken);
        using var start = await PostTwilioAsync("/webhooks/twilio/inbound", new() { ["From"] = phone, ["Body"] = "START", ["MessageSid"] = $"SM-{customer}-start" }, EngagementApi.TwilioAuthToken);

        using var replayed = await PostTwilioAsync("/webhooks/twilio/inbound", stop, EngagementApi.TwilioAuthToken);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], new[] { first.StatusCode, start.StatusCode, replayed.StatusCode });
        Assert.True((await api.CustomerAsync(customer)).HasConsent(Consents.Sms));
        Assert.Equal([(Consents.Sms, false, "twilio"), (Consents.Sms, true, "twilio")], (await api.ConsentHistoryAsync(customer)).Where(h => h.Source == "twilio"));
    }

    [Fact]
    public async Task TwilioInbound_StopFromANumberTwoCustomersShare_WithdrawsBoth()
    {
        var (customer, _, _) = await api.SentMessageAsync(ChannelNames.Sms, TwilioSmsSender.Name);
        var phone = (await api.CustomerAsync(customer)).Phone!;
        var store = new AbandonedCart.Activities.Storage.CustomerStore(db.DataSource);
        var sibling = $"c-{Guid.NewGuid():N}";
        await store.UpsertAsync(new() { Id = sibling, Phone = phone });
        await store.SetConsentAsync(sibling, Consents.Sms, granted: true, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

        using var response = await PostTwilioAsync("/webhooks/twilio/inbound", new() { ["From"] = phone, ["Body"] = "STOP", ["MessageSid"] = $"SM-{customer}-shared" }, EngagementApi.TwilioAuthToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await api.CustomerAsync(customer)).HasConsent(Consents.Sms));
        Assert.False((await api.CustomerAsync(sibling)).HasConsent(Consents.Sms));
    }

    [Fact]
    public async Task SendGridEvents_UnsubscribeOfAnAddressTwoCustomersShare_WithdrawsBoth()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var store = new AbandonedCart.Activities.Storage.CustomerStore(db.DataSource);
        var sibling = $"c-{Guid.NewGuid():N}";
        await store.UpsertAsync(new() { Id = sibling, Email = $"{customer}@example.com" });
        await store.SetConsentAsync(sibling, Consents.Email, granted: true, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

        using var response = await PostSendGridAsync(SendGridBatch(customer, messageId, key, "unsubscribe"), api.SendGridKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await api.CustomerAsync(customer)).HasConsent(Consents.Email));
        Assert.False((await api.CustomerAsync(sibling)).HasConsent(Consents.Email));
        Assert.Equal((Consents.Email, false, "sendgrid"), (await api.ConsentHistoryAsync(sibling))[^1]);
    }

    [Fact]
    public async Task SendGridEvents_UnsubscribeOlderThanALaterGrant_KeepsTheGrant()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var store = new AbandonedCart.Activities.Storage.CustomerStore(db.DataSource);

        // Granted again at 11:00 on the day the batch's unsubscribe happened (10:00); SendGrid delivers it later.
        await store.SetConsentAsync(customer, Consents.Email, granted: false, new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        await store.SetConsentAsync(customer, Consents.Email, granted: true, new DateTimeOffset(2026, 3, 2, 11, 0, 0, TimeSpan.Zero));

        using var response = await PostSendGridAsync(SendGridBatch(customer, messageId, key, "unsubscribe"), api.SendGridKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("unsubscribed", Assert.Single(await api.EngagementsAsync(customer)).Kind);
        Assert.True((await api.CustomerAsync(customer)).HasConsent(Consents.Email));
        Assert.DoesNotContain(await api.ConsentHistoryAsync(customer), h => h.Source == "sendgrid");
    }

    public void Dispose() => api.Dispose();

    private static string SendGridBatch(string customer, long messageId, string key, params string[] events) => JsonSerializer.Serialize(
        events.Select(e => new Dictionary<string, object>
        {
            ["email"] = $"{customer}@example.com",
            ["timestamp"] = 1_772_445_600,
            ["event"] = e,
            ["sg_event_id"] = $"{customer}-{e}",
            ["sg_message_id"] = "sg-1.filter",
            ["message_id"] = messageId.ToString(CultureInfo.InvariantCulture),
            ["idempotency_key"] = key,
        }));

    /// <summary>Signs as SendGrid does: ECDSA P-256/SHA-256 (DER) over the timestamp header followed by the raw body.</summary>
    private async Task<HttpResponseMessage> PostSendGridAsync(string body, ECDsa key)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = key.SignData(Encoding.UTF8.GetBytes(timestamp + body), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/sendgrid/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(SendGridEventWebhookVerifier.SignatureHeader, Convert.ToBase64String(signature));
        request.Headers.Add(SendGridEventWebhookVerifier.TimestampHeader, timestamp);
        return await api.Client.SendAsync(request);
    }

    /// <summary>Signs as Twilio does: base64 HMAC-SHA1 over the public URL and the sorted form pairs.</summary>
    private async Task<HttpResponseMessage> PostTwilioAsync(string path, Dictionary<string, string> form, string authToken)
    {
        var data = EngagementApi.PublicBaseUrl + path + string.Concat(form.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + p.Value));
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(TwilioSignatureVerifier.Header, TwilioSign(authToken, data));
        return await api.Client.SendAsync(request);
    }

    /// <summary>Signs a JSON body as Twilio does: <c>bodySHA256</c> (hex) of <paramref name="signedBody"/> in the URL, the signature over that URL alone; sends <paramref name="sentBody"/>.</summary>
    private async Task<HttpResponseMessage> PostTwilioJsonAsync(string path, string signedBody, string sentBody, string authToken)
    {
        var pathAndQuery = $"{path}?bodySHA256={Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(signedBody)))}";
        using var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new StringContent(sentBody, Encoding.UTF8, "application/json") };
        request.Headers.Add(TwilioSignatureVerifier.Header, TwilioSign(authToken, EngagementApi.PublicBaseUrl + pathAndQuery));
        return await api.Client.SendAsync(request);
    }

#pragma warning disable CA5350 // HMAC-SHA1 is what Twilio signs with.
    private static string TwilioSign(string authToken, string data) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data)));
#pragma warning restore CA5350
}
