using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AbandonedCart.Api.Events;
using AbandonedCart.Workflows;

namespace AbandonedCart.Api.Shopify;

/// <summary>
/// Translates Shopify webhook payloads into our storefront events, which then pass the same validation as
/// <c>POST /v1/events</c>. Event ids derive from <c>X-Shopify-Webhook-Id</c>, so Shopify's redeliveries are duplicates.
/// Amounts arrive as strings in Shopify's JSON; ones that do not parse are passed on and refused by validation.
/// </summary>
public static class ShopifyEvents
{
    public const string CheckoutCreate = "checkouts/create";
    public const string CheckoutUpdate = "checkouts/update";
    public const string OrderCreate = "orders/create";
    public const string CustomerUpdate = "customers/update";

    public static readonly IReadOnlyList<string> Topics = [CheckoutCreate, CheckoutUpdate, OrderCreate, CustomerUpdate];

    // Shopify's source_name for orders and checkouts placed in its mobile apps.
    private static readonly string[] MobileSources = ["iphone", "android", "mobile_app", "shopify_mobile"];

    /// <summary>Our events for this webhook; empty when the topic is not one we use or there is no customer to journey.</summary>
    public static JsonArray Translate(string topic, string webhookId, JsonElement payload)
    {
        var events = new JsonArray();
        if (payload.ValueKind != JsonValueKind.Object)
        {
            return events;
        }

        var eventId = $"shopify:{webhookId}";
        switch (topic)
        {
            case CheckoutCreate or CheckoutUpdate when CustomerId(payload) is { } customerId:
                events.Add(new JsonObject
                {
                    ["id"] = eventId,
                    ["type"] = EventReader.CartUpdatedType,
                    ["customerId"] = customerId,
                    ["occurredAt"] = Text(payload, "updated_at") ?? Text(payload, "created_at"),
                    ["device"] = Device(payload),
                    ["currency"] = Text(payload, "presentment_currency") ?? Text(payload, "currency"),
                    ["value"] = Amount(payload, "total_price"),
                    ["items"] = Items(payload),
                });
                AddContact(events, $"{eventId}:customer", customerId, payload);
                break;
            case OrderCreate when CustomerId(payload) is { } customerId:
                events.Add(new JsonObject
                {
                    ["id"] = eventId,
                    ["type"] = EventReader.PurchaseCompletedType,
                    ["customerId"] = customerId,
                    ["occurredAt"] = Text(payload, "processed_at") ?? Text(payload, "created_at"),
                    ["orderId"] = Text(payload, "id"),
                    ["revenue"] = Amount(payload, "total_price"),
                    ["currency"] = Text(payload, "presentment_currency") ?? Text(payload, "currency"),
                    ["items"] = Items(payload),
                });
                break;
            case CustomerUpdate when Text(payload, "id") is { } customerId:
                AddContact(events, $"{eventId}:customer", customerId, payload);
                AddConsent(events, $"{eventId}:consent:email", customerId, payload, "email_marketing_consent", Consents.Email);
                AddConsent(events, $"{eventId}:consent:sms", customerId, payload, "sms_marketing_consent", Consents.Sms);
                break;
        }

        return events;
    }

    private static string? CustomerId(JsonElement payload) =>
        payload.TryGetProperty("customer", out var customer) && customer.ValueKind == JsonValueKind.Object ? Text(customer, "id") : null;

    /// <summary>A customer_updated with the email and phone Shopify knows, so the journey has somewhere to send.</summary>
    private static void AddContact(JsonArray events, string id, string customerId, JsonElement payload)
    {
        var customer = payload.TryGetProperty("customer", out var c) && c.ValueKind == JsonValueKind.Object ? c : payload;
        var email = Text(payload, "email") ?? Text(customer, "email");
        var phone = Text(payload, "phone") ?? Text(customer, "phone");
        if (email is null && phone is null)
        {
            return;
        }

        var contact = new JsonObject { ["id"] = id, ["type"] = EventReader.CustomerUpdatedType, ["customerId"] = customerId, ["occurredAt"] = Text(payload, "updated_at") ?? Text(customer, "updated_at") };
        if (email is not null)
        {
            contact["email"] = email;
        }

        if (phone is not null)
        {
            contact["phone"] = phone;
        }

        events.Add(contact);
    }

    /// <summary>Shopify's marketing consent: <c>subscribed</c> grants, <c>unsubscribed</c>/<c>not_subscribed</c> withdraw; pending and redacted states change nothing.</summary>
    private static void AddConsent(JsonArray events, string id, string customerId, JsonElement payload, string property, string category)
    {
        if (!payload.TryGetProperty(property, out var consent) || consent.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        bool? granted = Text(consent, "state") switch
        {
            "subscribed" => true,
            "unsubscribed" or "not_subscribed" => false,
            _ => null,
        };
        if (granted is null)
        {
            return;
        }

        events.Add(new JsonObject
        {
            ["id"] = id,
            ["type"] = EventReader.ConsentChangedType,
            ["customerId"] = customerId,
            ["occurredAt"] = Text(consent, "consent_updated_at") ?? Text(payload, "updated_at"),
            ["category"] = category,
            ["granted"] = granted,
        });
    }

    private static JsonArray Items(JsonElement payload)
    {
        var items = new JsonArray();
        if (!payload.TryGetProperty("line_items", out var lines) || lines.ValueKind != JsonValueKind.Array)
        {
            return items;
        }

        foreach (var line in lines.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.Object))
        {
            var sku = Text(line, "sku");
            items.Add(new JsonObject
            {
                ["sku"] = string.IsNullOrEmpty(sku) ? Text(line, "variant_id") : sku,
                ["name"] = Text(line, "title"),
                ["price"] = Amount(line, "price"),
                ["quantity"] = line.TryGetProperty("quantity", out var q) ? JsonNode.Parse(q.GetRawText()) : null,
            });
        }

        return items;
    }

    private static string Device(JsonElement payload) =>
        Text(payload, "source_name") is { } source && MobileSources.Contains(source, StringComparer.OrdinalIgnoreCase) ? Devices.Mobile : Devices.Desktop;

    private static JsonNode? Amount(JsonElement obj, string name) =>
        Text(obj, name) is { } text && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var amount)
            ? JsonValue.Create(amount)
            : obj.TryGetProperty(name, out var raw) ? JsonNode.Parse(raw.GetRawText()) : null;

    /// <summary>A property as text: strings as they are, numbers (Shopify ids) as written.</summary>
    private static string? Text(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value))
        {
            return null;
        }

        try
        {
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            };
        }
        catch (InvalidOperationException e)
        {
            // JSON escapes a lone surrogate (\ud800) as readily as a valid pair; .NET refuses to read it as a string.
            throw new JsonException($"'{name}' is not valid Unicode text.", e);
        }
    }
}
