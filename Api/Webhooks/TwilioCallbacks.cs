using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Tracking;
using AbandonedCart.Workflows;

namespace AbandonedCart.Api.Webhooks;

/// <summary>Applies Twilio's verified callbacks: delivery status rows, dead numbers, and STOP replies.</summary>
public sealed class TwilioCallbacks(EngagementStore store, MessageStore messages, CustomerStore customers, TimeProvider time, ILogger<TwilioCallbacks> logger)
{
    // Twilio's standard opt-out keywords (Advanced Opt-Out defaults); Twilio stops delivery itself, we stop sending.
    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT",
    };

    // Twilio's standard opt-in keywords: Twilio delivers to the number again, and we may send again. HELP and INFO
    // (Twilio's help keywords) change nothing.
    private static readonly HashSet<string> StartWords = new(StringComparer.OrdinalIgnoreCase) { "START", "UNSTOP", "YES" };

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

    /// <summary>An inbound SMS: an opt-out keyword withdraws the sender's <c>sms</c> consent, an opt-in keyword grants it again.</summary>
    public async Task InboundAsync(IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var keyword = form.GetValueOrDefault("Body")?.Trim() ?? string.Empty;
        bool granted;
        if (StopWords.Contains(keyword))
        {
            granted = false;
        }
        else if (StartWords.Contains(keyword))
        {
            granted = true;
        }
        else
        {
            return;
        }

        // Twilio's opt-out is per number, so it reaches every customer sharing it; inbound messages carry no event time,
        // so the time of receipt orders it against other consent changes. MessageSid makes a replay change nothing.
        var change = new ConsentChange(Consents.Sms, granted, time.GetUtcNow(), TwilioSmsSender.Name);
        var sid = form.GetValueOrDefault("MessageSid") is { Length: > 0 } given ? given : null;
        var changed = await customers.SetConsentByAddressAsync(null, form.GetValueOrDefault("From"), change, TwilioSmsSender.Name, sid, cancellationToken);
        if (changed is null)
        {
            logger.LogInformation("Inbound SMS {MessageSid} was applied before; ignored", sid);
            return;
        }

        foreach (var customerId in changed)
        {
            logger.LogInformation("Customer {CustomerId} {Change} sms consent by SMS", customerId, granted ? "granted" : "withdrew");
        }
    }
}
