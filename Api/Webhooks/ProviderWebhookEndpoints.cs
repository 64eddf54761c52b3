using System.Text.Json;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Tracking;
using AbandonedCart.Api.Webhooks;
using AbandonedCart.Workflows;
using Microsoft.AspNetCore.Http.HttpResults;

// In the framework's namespace (as ActivitiesServices is), so Program.cs maps it without a using.
namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Provider callbacks: SendGrid's signed Event Webhook, Twilio's status callback and inbound SMS. A request whose
/// signature does not verify is answered 401 before anything is read into the database.
/// </summary>
public static class ProviderWebhookEndpoints
{
    /// <summary>SendGrid signs with the current time; older requests are replays.</summary>
    public static readonly TimeSpan SendGridTolerance = TimeSpan.FromMinutes(10);

    // Twilio's standard opt-out keywords (Advanced Opt-Out defaults); Twilio stops delivery itself, we stop sending.
    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase) { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT" };

    // Twilio error codes that mean the number can never receive SMS (invalid, unknown, landline, not mobile).
    private static readonly HashSet<string> DeadNumberCodes = ["21211", "21614", "30005", "30006"];

    private const string EmptyTwiml = """<?xml version="1.0" encoding="UTF-8"?><Response></Response>""";

    public static IEndpointRouteBuilder MapProviderWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/sendgrid/events", SendGridEventsAsync).ExcludeFromDescription();
        app.MapPost("/webhooks/twilio/status", TwilioStatusAsync).ExcludeFromDescription();
        app.MapPost("/webhooks/twilio/inbound", TwilioInboundAsync).ExcludeFromDescription();
        return app;
    }

    public static async Task<Results<Ok, UnauthorizedHttpResult, NotFound, ProblemHttpResult>> SendGridEventsAsync(
        HttpRequest request, WebhookVerifiers verifiers, SendGridEvents events, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(verifiers);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(time);
        if (verifiers.SendGrid is not { } verifier)
        {
            return TypedResults.NotFound();
        }

        // The signature covers the exact bytes, so the body is read raw before any parsing.
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        var timestamp = request.Headers[SendGridEventWebhookVerifier.TimestampHeader].ToString();
        if (!SendGridEventWebhookVerifier.IsRecent(timestamp, time.GetUtcNow(), SendGridTolerance)
            || !verifier.Verify(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), request.Headers[SendGridEventWebhookVerifier.SignatureHeader], timestamp))
        {
            return TypedResults.Unauthorized();
        }

        List<JsonElement> batch;
        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            batch = document.RootElement.ValueKind == JsonValueKind.Array
                ? [.. document.RootElement.EnumerateArray().Select(e => e.Clone())]
                : throw new JsonException("not an array");
        }
        catch (JsonException)
        {
            return TypedResults.Problem("The Event Webhook body must be a JSON array of events.", statusCode: StatusCodes.Status400BadRequest);
        }

        foreach (var item in batch)
        {
            await events.ApplyAsync(item, cancellationToken);
        }

        return TypedResults.Ok();
    }

    public static async Task<Results<Ok, UnauthorizedHttpResult, NotFound>> TwilioStatusAsync(
        HttpRequest request, WebhookVerifiers verifiers, EngagementStore store, MessageStore messages, CustomerStore customers,
        TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(time);
        if (await VerifiedTwilioFormAsync(request, verifiers, cancellationToken) is not { } form)
        {
            return verifiers?.Twilio is null ? TypedResults.NotFound() : TypedResults.Unauthorized();
        }

        var sid = form.GetValueOrDefault("MessageSid");
        var kind = form.GetValueOrDefault("MessageStatus") switch
        {
            "delivered" => Engagements.Delivered,
            "undelivered" or "failed" => Engagements.Undelivered,
            _ => null,
        };
        if (kind is null || string.IsNullOrEmpty(sid))
        {
            // queued, sent, …: intermediate states, nothing the journey or the dashboard uses.
            return TypedResults.Ok();
        }

        var message = await messages.FindAsync(null, TwilioSmsSender.Name, sid, cancellationToken);
        var customerId = message?.CustomerId ?? await customers.FindIdByAddressAsync(null, form.GetValueOrDefault("To"), cancellationToken);
        if (customerId is null)
        {
            return TypedResults.Ok();
        }

        if (kind == Engagements.Undelivered && DeadNumberCodes.Contains(form.GetValueOrDefault("ErrorCode") ?? string.Empty))
        {
            await customers.MarkPropertyInvalidAsync(customerId, "phone", cancellationToken);
        }

        // Keyed by MessageSid and status: Twilio repeats a callback it got no 2xx for.
        await store.RecordAsync(
            new EngagementRecord
            {
                MessageId = message?.Id,
                CustomerId = customerId,
                Kind = kind,
                OccurredAt = time.GetUtcNow(),
                ProviderEventId = $"twilio:{sid}:{kind}",
                Source = TwilioSmsSender.Name,
            },
            cancellationToken);
        return TypedResults.Ok();
    }

    public static async Task<Results<ContentHttpResult, UnauthorizedHttpResult, NotFound>> TwilioInboundAsync(
        HttpRequest request, WebhookVerifiers verifiers, CustomerStore customers, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(customers);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggers);
        if (await VerifiedTwilioFormAsync(request, verifiers, cancellationToken) is not { } form)
        {
            return verifiers?.Twilio is null ? TypedResults.NotFound() : TypedResults.Unauthorized();
        }

        if (StopWords.Contains(form.GetValueOrDefault("Body")?.Trim() ?? string.Empty)
            && await customers.FindIdByAddressAsync(null, form.GetValueOrDefault("From"), cancellationToken) is { } customerId)
        {
            await customers.SetConsentAsync(customerId, Consents.Sms, granted: false, time.GetUtcNow(), TwilioSmsSender.Name, cancellationToken);
            loggers.CreateLogger(typeof(ProviderWebhookEndpoints)).LogInformation("Customer {CustomerId} withdrew sms consent by SMS", customerId);
        }

        // An empty TwiML answer: no auto-reply beyond the one Twilio's opt-out handling sends.
        return TypedResults.Content(EmptyTwiml, "text/xml");
    }

    /// <summary>The form when <c>X-Twilio-Signature</c> signs it for our public URL of this endpoint; else null.</summary>
    private static async Task<Dictionary<string, string>?> VerifiedTwilioFormAsync(HttpRequest request, WebhookVerifiers verifiers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verifiers);
        if (verifiers.Twilio is not { } verifier || !request.HasFormContentType)
        {
            return null;
        }

        // Twilio signs the URL it called, which is the public one, not what a proxy forwards to us.
        var url = $"{verifiers.PublicBaseUrl}{request.Path}{request.QueryString}";
        var form = (await request.ReadFormAsync(cancellationToken)).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        return verifier.Verify(url, form, request.Headers[TwilioSignatureVerifier.Header]) ? form : null;
    }
}
