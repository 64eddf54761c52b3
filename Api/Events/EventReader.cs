using System.Text.Json;
using System.Text.RegularExpressions;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;

namespace AbandonedCart.Api.Events;

/// <summary>
/// Reads storefront events from JSON (one object, or an array of up to <see cref="MaxBatch"/>) and checks every field
/// strictly, collecting all problems keyed by the field's path. Unknown properties are ignored, so storefronts may
/// send more than we read.
/// </summary>
public static partial class EventReader
{
    public const string CartUpdatedType = "cart_updated";
    public const string PurchaseCompletedType = "purchase_completed";
    public const string ProductViewedType = "product_viewed";
    public const string CategoryViewedType = "category_viewed";
    public const string CustomerUpdatedType = "customer_updated";
    public const string ConsentChangedType = "consent_changed";
    public const int MaxBatch = 500;

    public static readonly IReadOnlyList<string> Types =
        [CartUpdatedType, PurchaseCompletedType, ProductViewedType, CategoryViewedType, CustomerUpdatedType, ConsentChangedType];

    private const int MaxIdLength = 200;
    private const int MaxItems = 500;
    private const int MaxTokenLength = 4096;

    /// <summary>
    /// A request body: one event, or an array of 1 to 500 events that is accepted or refused as a whole. A web push
    /// endpoint must be at one of <paramref name="pushEndpoints"/>' hosts (the defaults when null).
    /// </summary>
    public static EventReading ReadBody(JsonElement root, WebPushEndpointOptions? pushEndpoints = null)
    {
        pushEndpoints ??= new WebPushEndpointOptions();
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (root.ValueKind == JsonValueKind.Array)
        {
            var count = root.GetArrayLength();
            if (count is 0 or > MaxBatch)
            {
                return EventReading.Failed(new() { ["body"] = [$"A batch holds 1 to {MaxBatch} events; this one holds {count}."] });
            }

            var events = new List<ReceivedEvent>(count);
            var index = 0;
            foreach (var element in root.EnumerateArray())
            {
                if (ReadOne(element, $"[{index++}]", errors, pushEndpoints) is { } received)
                {
                    events.Add(received);
                }
            }

            return errors.Count > 0 ? EventReading.Failed(Flatten(errors)) : new EventReading(events, IsBatch: true, new Dictionary<string, string[]>());
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return EventReading.Failed(new() { ["body"] = ["The body must be one JSON object (an event) or an array of events."] });
        }

        var single = ReadOne(root, string.Empty, errors, pushEndpoints);
        return errors.Count > 0 || single is null
            ? EventReading.Failed(Flatten(errors))
            : new EventReading([single], IsBatch: false, new Dictionary<string, string[]>());
    }

    /// <summary>One stored event, as the relay reads it back (its push endpoint was checked when it was accepted).</summary>
    public static ReceivedEvent? Read(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object ? ReadOne(root, string.Empty, new(StringComparer.Ordinal), pushEndpoints: null) : null;

    /// <summary>
    /// The channel properties of a <c>customer_updated</c> event or a <c>PUT /v1/customers/{id}</c> body: each one
    /// present is set (null clears it); null when a property is invalid. A web push endpoint must be at one of
    /// <paramref name="pushEndpoints"/>' hosts (the defaults when null).
    /// </summary>
    public static Dictionary<string, string?>? ReadProfile(JsonFields fields, WebPushEndpointOptions? pushEndpoints = null) =>
        ReadProfileChecked(fields, pushEndpoints ?? new WebPushEndpointOptions());

    /// <summary><see cref="ReadProfile"/>; a null <paramref name="pushEndpoints"/> leaves endpoints unchecked (stored events).</summary>
    private static Dictionary<string, string?>? ReadProfileChecked(JsonFields fields, WebPushEndpointOptions? pushEndpoints)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var valid = true;

        void Set(string property, string jsonName, Func<JsonElement, string?> read)
        {
            if (!fields.Mentions(jsonName))
            {
                return;
            }

            var value = fields.Get(jsonName);
            if (value.ValueKind == JsonValueKind.Null)
            {
                values[property] = null;
                return;
            }

            var text = read(value);
            valid &= text is not null;
            values[property] = text;
        }

        Set(ProfileProperties.Email, "email", v => fields.Text("email", v, 254) is { } e && Email().IsMatch(e) ? e : fields.Fail<string>("email", "Must be an email address."));
        Set(ProfileProperties.Phone, "phone", v => fields.Text("phone", v, 16) is { } p && AbandonedCart.Activities.Channels.SmsChannel.IsE164(p) ? p : fields.Fail<string>("phone", "Must be an E.164 number such as +4915112345678."));
        Set(ProfileProperties.TimeZone, "timeZone", v => fields.Text("timeZone", v, 64) is { } z && TimeZoneInfo.TryFindSystemTimeZoneById(z, out _) ? z : fields.Fail<string>("timeZone", "Must be an IANA time zone such as Europe/Berlin."));
        Set(ProfileProperties.LineUserId, "lineUserId", v => fields.Text("lineUserId", v, 100));
        valid &= ReadGroup(fields, values, "pushTokens", required: [], optional: [("fcm", ProfileProperties.FcmToken), ("apns", ProfileProperties.ApnsToken), ("huawei", ProfileProperties.HuaweiToken)]);
        valid &= ReadGroup(fields, values, "webPush", required: [("endpoint", ProfileProperties.WebPushEndpoint), ("p256dh", ProfileProperties.WebPushP256dh), ("auth", ProfileProperties.WebPushAuth)], optional: [], pushEndpoints);
        return valid ? values : null;
    }

    /// <summary>An email address as <c>customer_updated</c> accepts it.</summary>
    public static bool IsEmail(string value) => value.Length <= 254 && Email().IsMatch(value);

    /// <summary>A phone number as <c>customer_updated</c> accepts it (E.164).</summary>
    public static bool IsPhone(string value) => value.Length <= 16 && AbandonedCart.Activities.Channels.SmsChannel.IsE164(value);

    private static ReceivedEvent? ReadOne(JsonElement root, string prefix, Dictionary<string, List<string>> errors, WebPushEndpointOptions? pushEndpoints)
    {
        var fields = new JsonFields(root, prefix, errors);
        if (root.ValueKind != JsonValueKind.Object)
        {
            return fields.Fail<ReceivedEvent>(string.Empty, "Each event must be a JSON object.");
        }

        var id = fields.RequiredString("id", MaxIdLength);
        var type = fields.RequiredString("type", 50);
        var customerId = fields.RequiredString("customerId", MaxIdLength);
        var occurredAt = fields.RequiredTime("occurredAt");
        var head = id is null || customerId is null || occurredAt is null ? null : new ReceivedEvent(id, string.Empty, customerId, occurredAt.Value);
        var received = type switch
        {
            CartUpdatedType => ReadCart(fields, head),
            PurchaseCompletedType => ReadPurchase(fields, head),
            ProductViewedType => ReadView(fields, head, "productId"),
            CategoryViewedType => ReadView(fields, head, "categoryId"),
            CustomerUpdatedType => ReadCustomer(fields, head, pushEndpoints),
            ConsentChangedType => ReadConsent(fields, head),
            null => null,
            _ => fields.Fail<ReceivedEvent>("type", $"Unknown event type '{type}'; expected one of: {string.Join(", ", Types)}."),
        };
        return received is null ? null : received with { Type = type!, Payload = root.GetRawText() };
    }

    private static ReceivedEvent? ReadCart(JsonFields fields, ReceivedEvent? head)
    {
        var device = fields.RequiredOneOf("device", [Devices.Mobile, Devices.Desktop]);
        var items = ReadItems(fields, required: true);
        var currency = fields.RequiredCurrency("currency");
        var value = fields.OptionalNumber("value");

        // Without a value the journey records the items' total as the cart value; one too large for the column would
        // fail that activity on every retry, so it is refused here.
        if (value is null && items is not null && items.Sum(i => i.Price * i.Quantity) > JsonFields.MaxAmount)
        {
            items = fields.Fail<List<CartItem>>(
                "items", $"The cart total (sum of price × quantity, used when value is absent) must be at most {JsonFields.MaxAmount.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        }

        if (head is null || device is null || items is null || currency is null)
        {
            return null;
        }

        return head with { Cart = new CartUpdated { EventId = head.Id, OccurredAt = head.OccurredAt, Device = device, Items = items, Currency = currency, Value = value } };
    }

    private static ReceivedEvent? ReadPurchase(JsonFields fields, ReceivedEvent? head)
    {
        var orderId = fields.RequiredString("orderId", MaxIdLength);
        var revenue = fields.RequiredNumber("revenue");
        var currency = fields.Has("currency") ? fields.RequiredCurrency("currency") : "EUR";
        var items = ReadItems(fields, required: false);
        if (head is null || orderId is null || revenue is null || currency is null)
        {
            return null;
        }

        var purchase = new PurchaseCompleted { EventId = head.Id, OrderId = orderId, OccurredAt = head.OccurredAt, Revenue = revenue.Value };
        return head with { Purchase = purchase, Currency = currency, Items = items ?? [] };
    }

    /// <summary>Product and category views are stored for the abandoned-session journeys; nothing is signalled yet.</summary>
    private static ReceivedEvent? ReadView(JsonFields fields, ReceivedEvent? head, string idField)
    {
        var viewed = fields.RequiredString(idField, MaxIdLength);
        fields.OptionalString("name", 500);
        fields.OptionalUrl("url");
        fields.OptionalNumber("price");
        if (fields.Has("device"))
        {
            fields.RequiredOneOf("device", [Devices.Mobile, Devices.Desktop]);
        }

        return viewed is null ? null : head;
    }

    private static ReceivedEvent? ReadCustomer(JsonFields fields, ReceivedEvent? head, WebPushEndpointOptions? pushEndpoints)
    {
        var values = ReadProfileChecked(fields, pushEndpoints);
        if (values is { Count: 0 })
        {
            return fields.Fail<ReceivedEvent>(string.Empty, "A customer_updated event sets at least one of: email, phone, timeZone, pushTokens, webPush, lineUserId.");
        }

        return head is null || values is null ? null : head with { Profile = new ProfileChange { CustomerId = head.CustomerId, Values = values, AsOf = head.OccurredAt } };
    }

    private static ReceivedEvent? ReadConsent(JsonFields fields, ReceivedEvent? head)
    {
        var category = fields.RequiredOneOf("category", Consents.All);
        var granted = fields.RequiredBool("granted");
        return head is null || category is null || granted is null
            ? null
            : head with { Consent = new ConsentChange(category, granted.Value, head.OccurredAt, "storefront") };
    }

    private static bool ReadGroup(
        JsonFields fields,
        Dictionary<string, string?> values,
        string name,
        (string Json, string Property)[] required,
        (string Json, string Property)[] optional,
        WebPushEndpointOptions? pushEndpoints = null)
    {
        if (!fields.Mentions(name))
        {
            return true;
        }

        var group = fields.Get(name);
        var all = required.Concat(optional).ToArray();
        if (group.ValueKind == JsonValueKind.Null)
        {
            foreach (var (_, property) in all)
            {
                values[property] = null;
            }

            return true;
        }

        if (group.ValueKind != JsonValueKind.Object)
        {
            fields.Fail<object>(name, "Must be an object or null.");
            return false;
        }

        var inner = fields.Nested(group, name);
        var valid = true;
        foreach (var (json, property) in all)
        {
            var isRequired = required.Contains((json, property));
            if (!inner.Has(json))
            {
                if (isRequired)
                {
                    inner.Fail<object>(json, "Is required.");
                    valid = false;
                }
                else if (inner.Mentions(json))
                {
                    values[property] = null;
                }

                continue;
            }

            var text = json == "endpoint" ? inner.Url(json, inner.Get(json), httpsOnly: true) : inner.Text(json, inner.Get(json), MaxTokenLength);

            // The Worker POSTs to this URL: only the push services' hosts, never an address of the storefront's choosing.
            if (json == "endpoint" && text is not null && pushEndpoints is not null && !pushEndpoints.Allows(text))
            {
                text = inner.Fail<string>(json, $"Must be the endpoint of a known push service ({string.Join(", ", pushEndpoints.Hosts)}).");
            }

            valid &= text is not null;
            values[property] = text;
        }

        return valid;
    }

    private static List<CartItem>? ReadItems(JsonFields fields, bool required)
    {
        if (!fields.Has("items") && !required)
        {
            return null;
        }

        if (fields.RequiredArray("items") is not { } array)
        {
            return null;
        }

        if (array.GetArrayLength() > MaxItems)
        {
            return fields.Fail<List<CartItem>>("items", $"At most {MaxItems} items.");
        }

        var items = new List<CartItem>();
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var path = $"items[{index++}]";
            if (element.ValueKind != JsonValueKind.Object)
            {
                fields.Fail<object>(path, "Each item must be an object.");
                continue;
            }

            var item = fields.Nested(element, path);
            var sku = item.RequiredString("sku", MaxIdLength);
            var name = item.RequiredString("name", 500);
            var price = item.RequiredNumber("price");
            var quantity = item.OptionalPositiveInt("quantity") ?? 1;
            var imageUrl = item.OptionalUrl("imageUrl");
            var url = item.OptionalUrl("url");
            if (sku is not null && name is not null && price is not null)
            {
                items.Add(new CartItem { Sku = sku, Name = name, Price = price.Value, Quantity = quantity, ImageUrl = imageUrl, Url = url });
            }
        }

        return items;
    }

    private static Dictionary<string, string[]> Flatten(Dictionary<string, List<string>> errors) =>
        errors.ToDictionary(e => e.Key.Length == 0 ? "body" : e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+\z")]
    private static partial Regex Email();

}

/// <summary>The outcome of reading a body: the events, or the problems per field.</summary>
public sealed record EventReading(IReadOnlyList<ReceivedEvent> Events, bool IsBatch, IDictionary<string, string[]> Errors)
{
    public static EventReading Failed(Dictionary<string, string[]> errors) => new([], false, errors);
}

/// <summary>A storefront event that passed validation, with what it changes or signals; <see cref="Payload"/> is its JSON.</summary>
public sealed record ReceivedEvent(string Id, string Type, string CustomerId, DateTimeOffset OccurredAt)
{
    public string Payload { get; init; } = "{}";

    public CartUpdated? Cart { get; init; }

    public PurchaseCompleted? Purchase { get; init; }

    public ProfileChange? Profile { get; init; }

    public ConsentChange? Consent { get; init; }

    public string Currency { get; init; } = "EUR";

    public IReadOnlyList<CartItem> Items { get; init; } = [];
}
