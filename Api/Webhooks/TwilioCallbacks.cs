using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Tracking;
using AbandonedCart.Workflows;

namespace AbandonedCart.Api.Webhooks;

/// <summary>Applies Twilio's verified callbacks: delivery status rows, dead numbers, and STOP replies.</summary>
public sealed class TwilioCallbacks(EngagementStore store, MessageStore messages, CustomerStore customers, TimeProvider time, ILogger<TwilioCallbacks> logger)
{
    // Twilio's standard opt-out keywords (Advanced Opt-Out defaults); Twilio stops delivery itself, we stop sending.
    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase) { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT" };

    // Twilio error codes that mean the number can never receive SMS (invalid, unknown, landline, not mobile).
    private static readonly HashSet<string> DeadNumberCodes = ["21211", "21614", "30005", "30006"];

    public async Task StatusAsync(IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
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
            return;
        }

        var message = await messages.FindAsync(null, TwilioSmsSender.Name, sid, cancellationToken);
        var customerId = message?.CustomerId ?? await customers.FindIdByAddressAsync(null, form.GetValueOrDefault("To"), cancellationToken);
        if (customerId is null)
        {
            return;
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
    }

    public async Task InboundAsync(IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        if (StopWords.Contains(form.GetValueOrDefault("Body")?.Trim() ?? string.Empty)
            && await customers.FindIdByAddressAsync(null, form.GetValueOrDefault("From"), cancellationToken) is { } customerId)
        {
            await customers.SetConsentAsync(customerId, Consents.Sms, granted: false, time.GetUtcNow(), TwilioSmsSender.Name, cancellationToken);
            logger.LogInformation("Customer {CustomerId} withdrew sms consent by SMS", customerId);
        }
    }
}
