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
/// A bad contact field or line item is dropped rather than refusing the whole webhook (Shopify would redeliver it,
/// refused again, until it gives up): what was dropped and why is reported through <c>dropped</c>, without values.
/// Event times are Shopify's own (<c>updated_at</c>, <c>consent_updated_at</c>, else <c>X-Shopify-Triggered-At</c>),
/// so an older webhook arriving late changes nothing newer.
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

    /// <summary>
    /// Our events for this webhook; empty when the topic is not one we use or there is no customer to journey. A
    /// completed checkout (<c>completed_at</c> set) is an order, not an abandoned cart: it starts no journey.
    /// </summary>
    public static JsonArray Translate(string topic, string webhookId, JsonElement payload, string? triggeredAt = null, ICollection<string>? dropped = null)
    {
        dropped ??= [];
        var events = new JsonArray();
        if (payload.ValueKind != JsonValueKind.Object)
        {
            return events;
        }

        var eventId = $"shopify:{webhookId}";
        switch (topic)
        {
            case CheckoutCreate or CheckoutUpdate when CustomerId(payload) is { } customerId:
                if (Text(payload, "completed_at") is null)
                {
                    events.Add(new JsonObject
                    {
                        ["id"] = eventId,
                        ["type"] = EventReader.CartUpdatedType,
                        ["customerId"] = customerId,
                        ["occurredAt"] = Text(payload, "updated_at") ?? Text(payload, "created_at") ?? triggeredAt,
                        ["device"] = Device(payload),
                        ["currency"] = Text(payload, "presentment_currency") ?? Text(payload, "currency"),
                        ["value"] = Amount(payload, "total_price"),
                        ["items"] = Items(payload, dropped),
                    });
                }

                AddContact(events, $"{eventId}:customer", customerId, payload, triggeredAt, dropped);
                break;
            case OrderCreate when CustomerId(payload) is { } customerId:
                events.Add(new JsonObject
                {
                    ["id"] = eventId,
                    ["type"] = EventReader.PurchaseCompletedType,
                    ["customerId"] = customerId,
                    ["occurredAt"] = Text(payload, "processed_at") ?? Text(payload, "created_at") ?? triggeredAt,
                    ["orderId"] = Text(payload, "id"),
                    ["revenue"] = Amount(payload, "total_price"),
                    ["currency"] = Text(payload, "presentment_currency") ?? Text(payload, "currency"),
                    ["items"] = Items(payload, dropped),
                });
                break;
            case CustomerUpdate when Text(payload, "id") is { } customerId:
                AddContact(events, $"{eventId}:customer", customerId, payload, triggeredAt, dropped);
                AddConsent(events, $"{eventId}:consent:email", customerId, payload, "email_marketing_consent", Consents.Email, triggeredAt);
                AddConsent(events, $"{eventId}:consent:sms", customerId, payload, "sms_marketing_consent", Consents.Sms, triggeredAt);
                break;
        }

        return events;
    }

    /// <summary>
    /// The Shopify field behind an error in the translated events (<c>[0].value</c> comes from <c>total_price</c>,
    /// <c>[0].items[2].price</c> from <c>line_items[2].price</c>), so a refused webhook names what Shopify sent; null
    /// when there is no one field to name.
    /// </summary>
    public static string? SourceField(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        const string main = "[0].";
        if (!path.StartsWith(main, StringComparison.Ordinal))
        {
            return null;
        }

        var field = path[main.Length..];
        return field switch
        {
            "value" or "revenue" => "total_price",
            _ when field.StartsWith("items", StringComparison.Ordinal) => $"line_items{field["items".Length..]}".Replace(".name", ".title", StringComparison.Ordinal),
            _ => null,
        };
    }

    private static string? CustomerId(JsonElement payload) =>
        payload.TryGetProperty("customer", out var customer) && customer.ValueKind == JsonValueKind.Object ? Text(customer, "id") : null;

    /// <summary>A customer_updated with the email and phone Shopify knows, so the journey has somewhere to send.</summary>
    private static void AddContact(JsonArray events, string id, string customerId, JsonElement payload, string? triggeredAt, ICollection<string> dropped)
    {
        var customer = payload.TryGetProperty("customer", out var c) && c.ValueKind == JsonValueKind.Object ? c : payload;
        var email = Text(payload, "email") ?? Text(customer, "email");
        var phone = Text(payload, "phone") ?? Text(customer, "phone");
        if (email is not null && !EventReader.IsEmail(email))
        {
            dropped.Add("email: not an email address");
            email = null;
        }

        if (phone is not null && !EventReader.IsPhone(phone))
        {
            // Shopify keeps phones as typed unless the shop enforces E.164; we send SMS only to E.164 numbers.
            dropped.Add("phone: not an E.164 number");
            phone = null;
        }

        if (email is null && phone is null)
        {
            return;
        }

        var occurredAt = Text(payload, "updated_at") ?? Text(customer, "updated_at") ?? triggeredAt;
        var contact = new JsonObject { ["id"] = id, ["type"] = EventReader.CustomerUpdatedType, ["customerId"] = customerId, ["occurredAt"] = occurredAt };
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
    private static void AddConsent(JsonArray events, string id, string customerId, JsonElement payload, string property, string category, string? triggeredAt)
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
            ["occurredAt"] = Text(consent, "consent_updated_at") ?? Text(payload, "updated_at") ?? triggeredAt,
            ["category"] = category,
            ["granted"] = granted,
        });
    }

    /// <summary>
    /// The line items. A custom line item has neither SKU nor variant: its line key (or id) stands in. A line that
    /// still has no id, no title or no price is dropped, and the cart is kept with the rest.
    /// </summary>
    private static JsonArray Items(JsonElement payload, ICollection<string> dropped)
    {
        var items = new JsonArray();
        if (!payload.TryGetProperty("line_items", out var lines) || lines.ValueKind != JsonValueKind.Array)
        {
            return items;
        }

        var index = 0;
        foreach (var line in lines.EnumerateArray())
        {
            var path = $"line_items[{index++}]";
            if (line.ValueKind != JsonValueKind.Object)
            {
                dropped.Add($"{path}: not an object");
                continue;
            }

            var sku = new[] { Text(line, "sku"), Text(line, "variant_id"), Prefixed("line:", Text(line, "key") ?? Text(line, "id")) }
                .FirstOrDefault(s => !string.IsNullOrEmpty(s));
            var name = Text(line, "title");
            var price = Amount(line, "price");
            if (sku is null || string.IsNullOrEmpty(name) || price is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
            {
                dropped.Add($"{path}: {(sku is null ? "no sku, variant or line id" : string.IsNullOrEmpty(name) ? "no title" : "no price")}");
                continue;
            }

            var item = new JsonObject { ["sku"] = sku, ["name"] = name, ["price"] = price };
            if (line.TryGetProperty("quantity", out var q) && q.ValueKind == JsonValueKind.Number && q.TryGetInt32(out var quantity) && quantity > 0)
            {
                item["quantity"] = quantity;
            }

            items.Add(item);
        }

        return items;
    }

    private static string? Prefixed(string prefix, string? value) => value is null ? null : prefix + value;

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
