using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Tracking;
using AbandonedCart.Workflows;

namespace AbandonedCart.Api.Webhooks;

/// <summary>
/// Applies one SendGrid Event Webhook event: the engagement row, with (in the same transaction) the address validity,
/// the consent, and the journey signal for opens and clicks, which the inbox relay delivers.
/// </summary>
public sealed class SendGridEvents(MessageStore messages, CustomerStore customers, Engagements engagements, TimeProvider time)
{
    private const string Source = "sendgrid";

    // 9999-12-31T23:59:59Z, the last second DateTimeOffset holds.
    private const long MaxUnixSeconds = 253_402_300_799;

    // SendGrid's ids are about 22 to 50 characters; the id becomes a unique index key, which PostgreSQL limits to about 2,700 bytes.
    private const int MaxEventIdLength = 200;

    /// <summary>
    /// An event this class can read and store: a JSON object whose strings are valid Unicode (no lone surrogate escape)
    /// without NUL characters, which PostgreSQL cannot store, and an <c>sg_event_id</c> of at most 200 characters.
    /// </summary>
    public static bool IsReadable(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        try
        {
            return item.EnumerateObject().All(p => p.Value.ValueKind != JsonValueKind.String || !p.Value.GetString()!.Contains('\0', StringComparison.Ordinal))
                && (Text(item, "sg_event_id") is not { } id || id.Length <= MaxEventIdLength);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public async Task ApplyAsync(JsonElement item, CancellationToken cancellationToken)
    {
        var eventId = Text(item, "sg_event_id");
        var kind = Text(item, "event") switch
        {
            "delivered" => Engagements.Delivered,
            "open" => Engagements.Opened,
            "click" => Engagements.Clicked,
            "bounce" => Engagements.Bounced,
            "dropped" => Engagements.Undelivered,
            "unsubscribe" or "group_unsubscribe" or "spamreport" => Engagements.Unsubscribed,
            _ => null,
        };
        if (eventId is null || kind is null)
        {
            return;
        }

        // custom_args come back as top-level fields: our message id finds the row and with it the customer.
        var message = long.TryParse(Text(item, "message_id"), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? await messages.FindAsync(id, cancellationToken: cancellationToken)
            : null;
        var customerId = message?.CustomerId ?? await customers.FindIdByAddressAsync(Text(item, "email"), null, cancellationToken);
        if (customerId is null)
        {
            return;
        }

        var occurredAt = item.TryGetProperty("timestamp", out var ts) && ts.ValueKind == JsonValueKind.Number && ts.TryGetInt64(out var seconds) && seconds is >= 0 and <= MaxUnixSeconds
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : time.GetUtcNow();

        // One transaction, keyed by sg_event_id: a batch that fails half way is redelivered by SendGrid and finishes
        // what the first delivery did not; an event delivered again changes nothing and signals nothing.
        Func<DbConnection, DbTransaction, CancellationToken, Task>? alsoApply = null;
        if (kind == Engagements.Bounced && Text(item, "type") is null or "bounce")
        {
            alsoApply = (connection, transaction, ct) => CustomerStore.MarkPropertyInvalidAsync(connection, transaction, customerId, "email", ct);
        }
        else if (kind == Engagements.Unsubscribed)
        {
            // An unsubscribe belongs to the address: every customer sharing it is withdrawn, as of SendGrid's event time.
            var change = new ConsentChange(Consents.Email, Granted: false, occurredAt, Source);
            var sharing = Text(item, "email") is { } email ? await customers.FindIdsByAddressAsync(email, null, cancellationToken) : [];
            string[] withdrawn = [customerId, .. sharing.Where(id => id != customerId)];
            alsoApply = async (connection, transaction, ct) =>
            {
                foreach (var id in withdrawn)
                {
                    await CustomerStore.SetConsentAsync(connection, transaction, id, change, ct);
                }
            };
        }

        await engagements.RecordAsync(
            new EngagementRecord { MessageId = message?.Id, CustomerId = customerId, Kind = kind, OccurredAt = occurredAt, ProviderEventId = $"{Source}:{eventId}", Source = Source },
            Workflows.Channels.Email,
            message?.IdempotencyKey ?? Text(item, "idempotency_key"),
            alsoApply,
            cancellationToken);
    }

    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number ? value.ToString() : null;
}
