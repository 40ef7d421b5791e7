"""Reference data every installation needs: states, payers and the vocabularies.

The network starts operating nowhere; the team launches states one by one.
"""
from peewee import BooleanField, CharField, DateField, Model

STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"),
    ("KS", "Kansas"), ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"),
    ("MD", "Maryland"), ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"),
    ("MS", "Mississippi"), ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"),
    ("NV", "Nevada"), ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"),
    ("NY", "New York"), ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"),
    ("OK", "Oklahoma"), ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"),
    ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"),
    ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
    ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
]

# (name, slug, checkable through Optum, clearinghouse payer id)
PAYERS = [
    ("UnitedHealthcare", "unitedhealthcare", True, "87726"),
    ("Oxford", "oxford", True, "06111"),
    ("Oscar", "oscar", True, "OSCAR"),
    ("Optum", "optum", False, None),
    ("Aetna", "aetna", False, "60054"),
    ("Cigna", "cigna", False, None),
    ("Blue Cross Blue Shield", "bcbs", False, None),
    ("Anthem", "anthem", False, None),
    ("Humana", "humana", False, None),
]

SPECIALTIES = [
    "Anxiety", "Depression", "Trauma and PTSD", "Relationship issues", "Grief and loss",
    "ADHD", "OCD", "Eating disorders", "LGBTQIA+ affirming care", "Substance use",
    "Bipolar disorder", "Life transitions", "Parenting", "Stress and burnout",
    "Self-esteem", "Perinatal and postpartum", "Chronic illness", "Anger management",
    "Insomnia and sleep", "Racial identity", "Autism", "Panic attacks", "Phobias",
    "Work and career", "Family conflict", "Infertility", "Body image", "Self-harm",
    "Suicidal thoughts", "Men's issues", "Women's issues", "Spirituality",
]

MODALITIES = [
    "Cognitive behavioral therapy (CBT)", "Dialectical behavior therapy (DBT)", "EMDR",
    "Acceptance and commitment therapy (ACT)", "Psychodynamic therapy",
    "Internal family systems (IFS)", "Solution-focused brief therapy", "Person-centered therapy",
    "Mindfulness-based therapy", "Narrative therapy", "Gottman method",
    "Emotionally focused therapy (EFT)", "Exposure and response prevention (ERP)",
    "Play therapy", "Motivational interviewing", "Somatic therapy",
]

LANGUAGES = [
    "English", "Spanish", "Mandarin", "Cantonese", "Vietnamese", "Korean", "Tagalog",
    "Russian", "Arabic", "French", "Haitian Creole", "Portuguese", "Hindi", "American Sign Language",
]


def slugify(name):
    out = []
    for ch in name.lower():
        out.append(ch if ch.isalnum() else "-")
    return "-".join(part for part in "".join(out).split("-") if part)


class Base(Model):
    class Meta:
        legacy_table_names = False


class ServiceState(Base):
    code = CharField(max_length=2, primary_key=True)
    name = CharField()
    operating = BooleanField(default=False)
    launched_on = DateField(null=True)


class Payer(Base):
    name = CharField(unique=True)
    slug = CharField(unique=True)
    checkable_via_optum = BooleanField(default=False)
    clearinghouse_payer_id = CharField(null=True)


class Specialty(Base):
    name = CharField(unique=True)
    slug = CharField(unique=True)


class Modality(Base):
    name = CharField(unique=True)
    slug = CharField(unique=True)


class Language(Base):
    name = CharField(unique=True)
    slug = CharField(unique=True)


MODELS = [ServiceState, Payer, Specialty, Modality, Language]


def up(migrator, db):
    db.bind(MODELS)
    ServiceState.insert_many(STATES, fields=[ServiceState.code, ServiceState.name]).execute()
    Payer.insert_many(PAYERS, fields=[Payer.name, Payer.slug, Payer.checkable_via_optum,
                                      Payer.clearinghouse_payer_id]).execute()
    for model, names in ((Specialty, SPECIALTIES), (Modality, MODALITIES), (Language, LANGUAGES)):
        model.insert_many([(n, slugify(n)) for n in names], fields=[model.name, model.slug]).execute()


def down(migrator, db):
    db.bind(MODELS)
    for model in MODELS:
        model.delete().execute()
