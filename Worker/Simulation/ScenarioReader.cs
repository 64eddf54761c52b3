using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AbandonedCart.Workflows;

namespace AbandonedCart.Worker.Simulation;

/// <summary>A scenario file that does not follow the format; <see cref="Exception.Message"/> starts with the field's path.</summary>
public sealed class ScenarioException(string path, string problem) : Exception($"{path}: {problem}")
{
    public string Path { get; } = path;
}

/// <summary>
/// Reads a scenario strictly: unknown fields, wrong types, bad times and unknown channels, consents or event types
/// are errors naming the field (e.g. <c>events[1].at: not an ISO 8601 time</c>), so a typo never silently changes
/// what the preview shows.
/// </summary>
public static partial class ScenarioReader
{
    private static readonly string[] Devices = [Workflows.Devices.Mobile, Workflows.Devices.Desktop, "tablet"];
    private static readonly string[] Actions = ["opened", "clicked", "delivered"];

    public static Scenario Read(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ScenarioException("$", $"not valid JSON ({e.Message})");
        }

        using (document)
        {
            var root = new Node(document.RootElement, "$");
            root.Only("journey", "start", "customer", "history", "events", "holdout", "journeyEnabled", "holdoutPercent");
            var journey = root.Required("journey").String();
            if (journey != Journeys.AbandonedCart)
            {
                throw new ScenarioException("journey", $"unknown journey '{journey}' (known: {Journeys.AbandonedCart})");
            }

            var events = root.Required("events").Array().Select(ReadEvent).ToList();
            if (!events.Any(e => e.Type == ScenarioEvent.CartUpdated))
            {
                throw new ScenarioException("events", "needs a cart_updated event: it is what enters the journey");
            }

            for (var i = 1; i < events.Count; i++)
            {
                if (events[i].At < events[i - 1].At)
                {
                    throw new ScenarioException($"events[{i}].at", "earlier than the event before it; list events in time order");
                }
            }

            var percent = root.Optional("holdoutPercent")?.Number() ?? 0;
            if (percent is < 0 or > 100)
            {
                throw new ScenarioException("holdoutPercent", "must be between 0 and 100");
            }

            return new Scenario
            {
                Journey = journey,
                Start = root.Required("start").Time(),
                Customer = ReadCustomer(root.Required("customer"), requireId: true),
                History = root.Optional("history")?.Array().Select(ReadSend).ToList() ?? [],
                Events = events,
                Holdout = root.Optional("holdout")?.Bool(),
                JourneyEnabled = root.Optional("journeyEnabled")?.Bool() ?? true,
                HoldoutPercent = percent,
            };
        }
    }

    private static ScenarioCustomer ReadCustomer(Node node, bool requireId)
    {
        node.Only("id", "email", "phone", "timeZone", "consents", "pushTokens", "webPush", "lineUserId");
        var zone = node.Optional("timeZone")?.String();
        if (zone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            throw new ScenarioException(node.PathOf("timeZone"), $"unknown time zone '{zone}' (use an IANA id such as Europe/Prague)");
        }

        var push = node.Optional("pushTokens");
        push?.Only("fcm", "apns", "huawei");
        var web = node.Optional("webPush");
        web?.Only("endpoint", "p256dh", "auth");
        return new ScenarioCustomer
        {
            Id = requireId ? node.Required("id").String() : node.Optional("id")?.String() ?? string.Empty,
            Email = node.Optional("email")?.String(),
            Phone = node.Optional("phone")?.String(),
            TimeZone = zone,
            Consents = node.Optional("consents")?.Array().Select(c => c.OneOf(Consents.All)).ToList() ?? [],
            PushTokens = push is null ? null : new(push.Optional("fcm")?.String(), push.Optional("apns")?.String(), push.Optional("huawei")?.String()),
            WebPush = web is null ? null : new(web.Required("endpoint").String(), web.Required("p256dh").String(), web.Required("auth").String()),
            LineUserId = node.Optional("lineUserId")?.String(),
        };
    }

    private static ScenarioSend ReadSend(Node node)
    {
        node.Only("journey", "channel", "sentAt");
        return new ScenarioSend(
            node.Required("journey").String(),
            node.Required("channel").OneOf([.. Channels.All, "audience"]),
            node.Required("sentAt").Time());
    }

    private static ScenarioEvent ReadEvent(Node node)
    {
        var type = node.Required("type").OneOf(ScenarioEvent.Types);
        var at = node.Required("at").Time();
        switch (type)
        {
            case ScenarioEvent.CartUpdated:
                node.Only("at", "type", "occurredAt", "device", "items", "currency", "value");
                return new ScenarioEvent
                {
                    At = at,
                    Type = type,
                    OccurredAt = node.Optional("occurredAt")?.Time(),
                    Device = node.Optional("device")?.OneOf(Devices) ?? Workflows.Devices.Desktop,
                    Items = node.Optional("items")?.Array().Select(ReadItem).ToList() ?? [],
                    Currency = node.Optional("currency")?.String(),
                    Value = (decimal?)node.Optional("value")?.Number(),
                };
            case ScenarioEvent.Engaged:
                node.Only("at", "type", "channel", "action", "messageKey");
                return new ScenarioEvent
                {
                    At = at,
                    Type = type,
                    Channel = node.Required("channel").OneOf(Channels.All),
                    Action = node.Optional("action")?.OneOf(Actions) ?? "clicked",
                    MessageKey = node.Optional("messageKey")?.String(),
                };
            case ScenarioEvent.ConsentWithdrawn or ScenarioEvent.ConsentGranted:
                node.Only("at", "type", "consent");
                return new ScenarioEvent { At = at, Type = type, Consent = node.Required("consent").OneOf(Consents.All) };
            case ScenarioEvent.Purchased:
                node.Only("at", "type", "occurredAt", "orderId", "revenue");
                return new ScenarioEvent
                {
                    At = at,
                    Type = type,
                    OccurredAt = node.Optional("occurredAt")?.Time(),
                    OrderId = node.Optional("orderId")?.String() ?? "order",
                    Revenue = (decimal?)node.Optional("revenue")?.Number() ?? 0,
                };
            case ScenarioEvent.CustomerUpdated:
                node.Only("at", "type", "customer");
                return new ScenarioEvent { At = at, Type = type, Customer = ReadCustomer(node.Required("customer"), requireId: false) };
            default:
                node.Only("at", "type");
                return new ScenarioEvent { At = at, Type = type };
        }
    }

    private static CartItem ReadItem(Node node)
    {
        node.Only("sku", "name", "price", "quantity", "imageUrl", "url");
        return new CartItem
        {
            Sku = node.Required("sku").String(),
            Name = node.Optional("name")?.String() ?? node.Required("sku").String(),
            Price = (decimal)node.Required("price").Number(),
            Quantity = (int)(node.Optional("quantity")?.Number() ?? 1),
            ImageUrl = node.Optional("imageUrl")?.String(),
            Url = node.Optional("url")?.String(),
        };
    }

    [GeneratedRegex(@"(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex HasOffset();

    /// <summary>A JSON value with its path in the file, for error messages.</summary>
    private sealed class Node(JsonElement element, string path)
    {
        public string Path { get; } = path;

        public string PathOf(string property) => Path == "$" ? property : $"{Path}.{property}";

        public void Only(params string[] allowed)
        {
            RequireKind(JsonValueKind.Object, "an object");
            foreach (var property in element.EnumerateObject())
            {
                if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                {
                    throw new ScenarioException(PathOf(property.Name), $"unknown field (allowed here: {string.Join(", ", allowed)})");
                }
            }
        }

        public Node Required(string property) =>
            Optional(property) ?? throw new ScenarioException(PathOf(property), "required");

        public Node? Optional(string property)
        {
            RequireKind(JsonValueKind.Object, "an object");
            return element.TryGetProperty(property, out var value) && value.ValueKind != JsonValueKind.Null
                ? new Node(value, PathOf(property))
                : null;
        }

        public IEnumerable<Node> Array()
        {
            RequireKind(JsonValueKind.Array, "an array");
            return element.EnumerateArray().Select((e, i) => new Node(e, $"{Path}[{i}]")).ToList();
        }

        public string String()
        {
            RequireKind(JsonValueKind.String, "a string");
            return element.GetString()!;
        }

        public double Number()
        {
            RequireKind(JsonValueKind.Number, "a number");
            return element.GetDouble();
        }

        public bool Bool() => element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ScenarioException(Path, "not true or false"),
        };

        public DateTimeOffset Time()
        {
            // Offsets are required so a time means the same instant on every machine.
            if (element.ValueKind == JsonValueKind.String &&
                DateTimeOffset.TryParseExact(
                    element.GetString(), ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK"],
                    CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) &&
                HasOffset().IsMatch(element.GetString()!))
            {
                return time.ToUniversalTime();
            }

            throw new ScenarioException(Path, "not an ISO 8601 time with offset (e.g. 2026-03-02T10:00:00Z)");
        }

        public string OneOf(IReadOnlyList<string> allowed)
        {
            var value = String();
            return allowed.Contains(value, StringComparer.Ordinal)
                ? value
                : throw new ScenarioException(Path, $"unknown value '{value}' (one of: {string.Join(", ", allowed)})");
        }

        private void RequireKind(JsonValueKind kind, string what)
        {
            if (element.ValueKind != kind)
            {
                throw new ScenarioException(Path, $"not {what}");
            }
        }
    }
}
