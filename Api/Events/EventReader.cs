using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AbandonedCart.Workflows;

namespace AbandonedCart.Api.Events;

/// <summary>
/// Reads one storefront event from JSON and checks every field strictly, collecting all problems keyed by the
/// field's path (<c>items[0].price</c>), so the storefront learns everything that is wrong in one answer.
/// Unknown properties are ignored, so storefronts may send more than we read.
/// </summary>
public static partial class EventReader
{
    public const string CartUpdatedType = "cart_updated";
    public const string PurchaseCompletedType = "purchase_completed";

    private const int MaxIdLength = 200;
    private const int MaxItems = 500;

    public static EventReading Read(JsonElement root)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (root.ValueKind != JsonValueKind.Object)
        {
            return EventReading.Failed(new() { ["body"] = ["The body must be one JSON object (an event)."] });
        }

        var fields = new Fields(root, string.Empty, errors);
        var id = fields.RequiredString("id", MaxIdLength);
        var type = fields.RequiredString("type", 50);
        var customerId = fields.RequiredString("customerId", MaxIdLength);
        var occurredAt = fields.RequiredTime("occurredAt");
        ReceivedEvent? received = type switch
        {
            CartUpdatedType => ReadCart(fields, id, customerId, occurredAt),
            PurchaseCompletedType => ReadPurchase(fields, id, customerId, occurredAt),
            null => null,
            _ => fields.Fail<ReceivedEvent>("type", $"Unknown event type '{type}'; expected '{CartUpdatedType}' or '{PurchaseCompletedType}'."),
        };

        return errors.Count > 0 || received is null
            ? EventReading.Failed(errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal))
            : new EventReading(received, new Dictionary<string, string[]>());
    }

    private static ReceivedEvent? ReadCart(Fields fields, string? id, string? customerId, DateTimeOffset? occurredAt)
    {
        var device = fields.RequiredOneOf("device", [Devices.Mobile, Devices.Desktop]);
        var items = ReadItems(fields, required: true);
        var currency = fields.RequiredCurrency("currency");
        var value = fields.OptionalNumber("value");
        if (id is null || customerId is null || occurredAt is null || device is null || items is null || currency is null)
        {
            return null;
        }

        var update = new CartUpdated { EventId = id, OccurredAt = occurredAt.Value, Device = device, Items = items, Currency = currency, Value = value };
        return new ReceivedEvent(id, CartUpdatedType, customerId, occurredAt.Value) { Cart = update };
    }

    private static ReceivedEvent? ReadPurchase(Fields fields, string? id, string? customerId, DateTimeOffset? occurredAt)
    {
        var orderId = fields.RequiredString("orderId", MaxIdLength);
        var revenue = fields.RequiredNumber("revenue");
        var currency = fields.Has("currency") ? fields.RequiredCurrency("currency") : "EUR";
        var items = ReadItems(fields, required: false);
        if (id is null || customerId is null || occurredAt is null || orderId is null || revenue is null || currency is null)
        {
            return null;
        }

        var purchase = new PurchaseCompleted { EventId = id, OrderId = orderId, OccurredAt = occurredAt.Value, Revenue = revenue.Value };
        return new ReceivedEvent(id, PurchaseCompletedType, customerId, occurredAt.Value) { Purchase = purchase, Currency = currency, Items = items ?? [] };
    }

    private static List<CartItem>? ReadItems(Fields fields, bool required)
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

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyCode();

    [GeneratedRegex(@"(Z|[+-][0-9]{2}:?[0-9]{2})$", RegexOptions.IgnoreCase)]
    private static partial Regex ExplicitOffset();

    /// <summary>Field readers over one JSON object; every problem is recorded under the field's full path.</summary>
    private sealed class Fields(JsonElement obj, string prefix, Dictionary<string, List<string>> errors)
    {
        public Fields Nested(JsonElement element, string path) => new(element, path, errors);

        public bool Has(string name) => obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

        public T? Fail<T>(string name, string message)
        {
            var key = prefix.Length == 0 ? name : $"{prefix}.{name}";
            if (!errors.TryGetValue(key, out var list))
            {
                errors[key] = list = [];
            }

            list.Add(message);
            return default;
        }

        public string? RequiredString(string name, int maxLength)
        {
            if (!Present(name, out var value))
            {
                return null;
            }

            if (value.ValueKind != JsonValueKind.String)
            {
                return Fail<string>(name, "Must be a string.");
            }

            var text = value.GetString()!;
            if (string.IsNullOrWhiteSpace(text))
            {
                return Fail<string>(name, "Must not be empty.");
            }

            return text.Length > maxLength ? Fail<string>(name, $"At most {maxLength} characters.") : text;
        }

        public string? RequiredOneOf(string name, string[] allowed)
        {
            var text = RequiredString(name, 50);
            return text is null || allowed.Contains(text, StringComparer.Ordinal)
                ? text
                : Fail<string>(name, $"Must be one of: {string.Join(", ", allowed)}.");
        }

        public string? RequiredCurrency(string name)
        {
            var text = RequiredString(name, 3);
            return text is null || CurrencyCode().IsMatch(text) ? text : Fail<string>(name, "Must be an ISO 4217 code such as EUR.");
        }

        public DateTimeOffset? RequiredTime(string name)
        {
            if (!Present(name, out var value))
            {
                return null;
            }

            // An explicit offset is required: a time without one would be read in the server's zone.
            if (value.ValueKind != JsonValueKind.String || !ExplicitOffset().IsMatch(value.GetString()!)
                || !DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            {
                return Fail<DateTimeOffset?>(name, "Must be an ISO 8601 date-time with an offset, e.g. 2026-03-02T10:00:00Z.");
            }

            return time;
        }

        public decimal? RequiredNumber(string name) => Present(name, out var value) ? NonNegative(name, value) : null;

        public decimal? OptionalNumber(string name) => Has(name) ? NonNegative(name, obj.GetProperty(name)) : null;

        public int? OptionalPositiveInt(string name)
        {
            if (!Has(name))
            {
                return null;
            }

            var value = obj.GetProperty(name);
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 1
                ? number
                : Fail<int?>(name, "Must be a whole number of at least 1.");
        }

        public string? OptionalUrl(string name)
        {
            if (!Has(name))
            {
                return null;
            }

            var value = obj.GetProperty(name);
            return value.ValueKind == JsonValueKind.String && Uri.TryCreate(value.GetString(), UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
                ? value.GetString()
                : Fail<string>(name, "Must be an absolute http(s) URL.");
        }

        public JsonElement? RequiredArray(string name)
        {
            if (!Present(name, out var value))
            {
                return null;
            }

            return value.ValueKind == JsonValueKind.Array ? value : Fail<JsonElement?>(name, "Must be an array.");
        }

        private decimal? NonNegative(string name, JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var number))
            {
                return Fail<decimal?>(name, "Must be a number.");
            }

            return number < 0 ? Fail<decimal?>(name, "Must not be negative.") : number;
        }

        private bool Present(string name, out JsonElement value)
        {
            if (obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
            {
                return true;
            }

            Fail<object>(name, "Is required.");
            return false;
        }
    }
}

/// <summary>The outcome of reading an event: the event, or the problems per field.</summary>
public sealed record EventReading(ReceivedEvent? Event, IDictionary<string, string[]> Errors)
{
    public static EventReading Failed(Dictionary<string, string[]> errors) => new(null, errors);
}

/// <summary>A storefront event that passed validation, with the journey signal it carries.</summary>
public sealed record ReceivedEvent(string Id, string Type, string CustomerId, DateTimeOffset OccurredAt)
{
    public CartUpdated? Cart { get; init; }

    public PurchaseCompleted? Purchase { get; init; }

    public string Currency { get; init; } = "EUR";

    public IReadOnlyList<CartItem> Items { get; init; } = [];
}
