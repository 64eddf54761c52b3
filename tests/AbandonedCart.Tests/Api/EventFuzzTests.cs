using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using AbandonedCart.Tests.Infrastructure;
using Dapper;

namespace AbandonedCart.Tests.Api;

/// <summary>
/// 10,000 random and mutated bodies, each with a valid signature (seeded, so a failure reproduces): the Api never
/// answers 5xx, and only what it answered 202 for is stored.
/// </summary>
public sealed class EventFuzzTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private const int Bodies = 10_000;
    private static readonly string[] Types = ["cart_updated", "purchase_completed", "product_viewed", "category_viewed", "customer_updated", "consent_changed"];
    private const string Garbage = "{}[]\",:\\0x \u0001";
    private static readonly string[] Escapes = ["\\u0000", "\\ud800", "\\udfff", "\\ud800\\u0041", "\\u0000abc"];
    private static readonly string[] InjectedFields = ["customerId", "extra", "id", "type", "email", "productId"];
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals());

    [Fact]
    public async Task PostEvents_TenThousandRandomAndMutatedBodies_No5xxAndNothingStoredForRefusedOnes()
    {
        var random = new Random(20260302);
        var bodies = Enumerable.Range(0, Bodies).Select(n => Body(random, n)).ToList();
        var answers = new HttpStatusCode[Bodies];
        var acceptedNew = new int[Bodies];
        var next = -1;

        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            var client = factory.CreateClient();
            int i;
            while ((i = Interlocked.Increment(ref next)) < Bodies)
            {
                using var response = await client.SendAsync(ApiFactory.SignedEvent(bodies[i].Text));
                answers[i] = response.StatusCode;
                var text = await response.Content.ReadAsStringAsync();
                Assert.True((int)response.StatusCode < 500, $"Body {i} got {(int)response.StatusCode}: {bodies[i].Text[..Math.Min(300, bodies[i].Text.Length)]}");
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    acceptedNew[i] = text.Split("\"accepted\"").Length - 1;
                }
                else
                {
                    Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                }
            }
        }));

        var refusedIds = bodies.Where((_, i) => answers[i] == HttpStatusCode.BadRequest).SelectMany(b => b.Ids).ToArray();
        await using var conn = await db.DataSource.OpenConnectionAsync();
        Assert.Equal(acceptedNew.Sum(), await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM storefront_events"));
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE event_id = ANY(@refusedIds)", new { refusedIds }));

        // Both outcomes must be exercised for the test to mean anything.
        Assert.InRange(answers.Count(a => a == HttpStatusCode.Accepted), 500, 9_000);
        Assert.InRange(refusedIds.Length, 1_000, Bodies * 10);
    }

    public void Dispose() => factory.Dispose();

    private static (string Text, string[] Ids) Body(Random random, int n)
    {
        if (random.Next(10) == 0)
        {
            var batch = new JsonArray([.. Enumerable.Range(0, random.Next(1, 6)).Select(k => (JsonNode)Mutate(random, Valid(random, $"f{n}-{k}"), 1))]);
            return (batch.ToJsonString(), [.. batch.Select(e => $"f{n}-{batch.IndexOf(e)}")]);
        }

        var id = $"f{n}";
        var valid = Valid(random, id);
        var text = random.Next(8) switch
        {
            0 => valid.ToJsonString(),
            1 => Garble(random, valid.ToJsonString()),
            2 => Truncate(random, valid.ToJsonString()),
            3 => InjectText(random, valid),
            4 => Noise(random),
            _ => Mutate(random, valid, random.Next(1, 4)).ToJsonString(),
        };
        return (text, [id]);
    }

    private static JsonObject Valid(Random random, string id)
    {
        var e = new JsonObject
        {
            ["id"] = id,
            ["type"] = Types[random.Next(Types.Length)],
            ["customerId"] = $"fc-{random.Next(300)}",
            ["occurredAt"] = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(10_000)).ToString("O"),
        };
        switch (e["type"]!.ToString())
        {
            case "cart_updated":
                e["device"] = random.Next(2) == 0 ? "mobile" : "desktop";
                e["currency"] = "EUR";
                e["items"] = new JsonArray(new JsonObject { ["sku"] = "A1", ["name"] = "Lipstick", ["price"] = 19.9, ["quantity"] = 2 });
                break;
            case "purchase_completed":
                e["orderId"] = $"o-{id}";
                e["revenue"] = random.Next(1, 500);
                break;
            case "product_viewed":
                e["productId"] = $"p-{random.Next(50)}";
                break;
            case "category_viewed":
                e["categoryId"] = $"cat-{random.Next(10)}";
                break;
            case "customer_updated":
                e["email"] = $"x{random.Next(1000)}@example.com";
                e["phone"] = "+4915112345678";
                break;
            default:
                e["category"] = "email";
                e["granted"] = random.Next(2) == 0;
                break;
        }

        return e;
    }

    private static JsonObject Mutate(Random random, JsonObject e, int times)
    {
        for (var t = 0; t < times; t++)
        {
            var keys = e.Select(p => p.Key).ToList();
            var key = random.Next(5) == 0 ? $"extra{random.Next(3)}" : keys[random.Next(keys.Count)];
            if (key == "id" && random.Next(4) != 0)
            {
                continue;
            }

            if (random.Next(4) == 0)
            {
                e.Remove(key);
            }
            else
            {
                e[key] = RandomValue(random, depth: 0);
            }
        }

        return e;
    }

    private static JsonNode? RandomValue(Random random, int depth) => random.Next(depth > 3 ? 9 : 12) switch
    {
        0 => null,
        1 => random.Next(2) == 0,
        2 => random.Next(-1_000_000, 1_000_000),
        3 => random.NextDouble() * Math.Pow(10, random.Next(-5, 40)) * (random.Next(2) == 0 ? -1 : 1),
        4 => new string((char)random.Next(32, 127), random.Next(0, 400)),
        5 => Types[random.Next(Types.Length)],
        6 => "2026-13-45T99:00:00Z",
        7 => new string('x', random.Next(190, 520)),
        8 => "\ud83d\ude00 ünïcödé \t\n",
        9 => new JsonArray([.. Enumerable.Range(0, random.Next(4)).Select(_ => RandomValue(random, depth + 1))]),
        10 => new JsonObject { ["sku"] = RandomValue(random, depth + 1), ["price"] = RandomValue(random, depth + 1), ["endpoint"] = "https://x.example" },
        _ => new JsonObject { ["fcm"] = RandomValue(random, depth + 1), ["nested"] = RandomValue(random, depth + 1) },
    };

    private static string Garble(Random random, string text)
    {
        var chars = text.ToCharArray();
        for (var k = random.Next(1, 6); k > 0; k--)
        {
            chars[random.Next(chars.Length)] = Garbage[random.Next(Garbage.Length)];
        }

        return new string(chars);
    }

    private static string Truncate(Random random, string text) => text[..random.Next(text.Length)];

    /// <summary>Raw escapes JSON allows but storage does not: NUL, lone surrogates, in fields we read and fields we ignore.</summary>
    private static string InjectText(Random random, JsonObject e)
    {
        var escape = Escapes[random.Next(Escapes.Length)];
        var field = InjectedFields[random.Next(InjectedFields.Length)];
        e.Remove(field);
        var text = e.ToJsonString();
        return text.Insert(1, $"\"{field}\": \"a{escape}b\", ");
    }

    private static string Noise(Random random)
    {
        var bytes = new byte[random.Next(0, 300)];
        random.NextBytes(bytes);
        return random.Next(3) switch
        {
            0 => Encoding.Latin1.GetString(bytes),
            1 => new string('[', random.Next(60, 2000)) + new string(']', random.Next(0, 2000)),
            _ => string.Concat(Enumerable.Repeat("{\"a\":", random.Next(10, 200))) + "1" + new string('}', random.Next(0, 200)),
        };
    }
}
